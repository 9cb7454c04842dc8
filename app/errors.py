"""Domain errors that views and the API turn into friendly answers."""


class ValidationError(Exception):
    """Bad input, with messages per field name."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors

    @classmethod
    def single(cls, field: str, message: str) -> "ValidationError":
        """Build an error for one field with one message."""
        return cls({field: [message]})


class PermissionDenied(Exception):
    """The actor may not do this."""
