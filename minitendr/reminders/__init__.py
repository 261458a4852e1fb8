"""Reminders (připomínky): what waits for someone, told by e-mail and in the application, once."""
