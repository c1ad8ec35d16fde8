"""Accounts: organisations, departments, job roles, users, login and org import."""
