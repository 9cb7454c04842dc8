"""Accounts: users, roles, login, API tokens and access control."""
