"""Venues: the city's register of rooms and halls."""
