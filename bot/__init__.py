"""arxiv-digest: arXiv papers to Chinese summaries, on Telegram and the command line."""
