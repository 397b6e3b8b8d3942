"""Kent, Surrey & Sussex probation (CaseLink) for Offender Graph: the ``kss-xml`` dialect and its
simulator, enabled by installing this package and adding a regions-file entry."""
