"""Events: the shared calendar, its domain operations, policy and iCalendar output."""
