"""Who is asking and what they may see: JWT principals, caseload and limited-access policy.

Empty until the security issue lands; the package exists so the layout matches the architecture
and so a test can prove that the imported ``auth`` is ours, not the PyPI package of that name.
"""
