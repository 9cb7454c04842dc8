// Parse an iCalendar object from stdin with ical.js (Thunderbird's parser) and print its events.
import ICAL from "ical.js";
import { readFileSync } from "node:fs";

const text = readFileSync(0, "utf8");
const root = new ICAL.Component(ICAL.parse(text));
for (const tz of root.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(tz));
}
const out = root.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  const instant = (t) => (t.isDate ? t.toString() : t.toJSDate().toISOString());
  return {
    uid: event.uid,
    summary: event.summary,
    sequence: event.sequence,
    status: vevent.getFirstPropertyValue("status"),
    start: instant(event.startDate),
    end: instant(event.endDate),
    all_day: event.startDate.isDate,
    attendees: vevent.getAllProperties("attendee").length,
  };
});
process.stdout.write(JSON.stringify({ method: root.getFirstPropertyValue("method"), events: out }));
