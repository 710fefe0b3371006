"""Channel adapters (Telegram, HTTP): extract input, call the desk, render the reply.

No SQL, no jieba, no rules here; see DESIGN.md §2.
"""
