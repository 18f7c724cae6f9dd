"""Telegram handlers: parse the update, call one function of `bot/`, reply. Nothing else."""
