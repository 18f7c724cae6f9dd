"""SQLite storage: schema and migrations, papers and summaries, quotas, chat settings.

Every function here is synchronous and takes the `sqlite_utils.Database` first; callers on the
event loop go through `Store.call`, which runs them on the store's single worker thread.
"""
