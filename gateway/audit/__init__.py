"""The audit of every read: who resolved which person, which field groups, with what outcome."""
