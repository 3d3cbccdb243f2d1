"""secmaster's exceptions. Their messages are the command line's."""


class Error(Exception):
    """Any error secmaster raises."""


class DataError(Error, ValueError):
    """Data was refused: a malformed file, a value of the wrong type (rule 8), an attribute
    named like a key column, a batch equal to the last one."""


class FileError(Error, OSError):
    """A file could not be read or written."""


class StoreError(Error):
    """A store is locked by another writer, changed under a writer, or damaged."""
