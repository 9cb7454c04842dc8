"""Departments (Ämter): the units that own events and invite guests."""
