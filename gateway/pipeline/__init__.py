"""The region-call pipeline: every upstream call goes through these stages (see call.py)."""
