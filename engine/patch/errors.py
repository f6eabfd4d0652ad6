"""The error every patch function raises."""


class PatchError(ValueError):
    """A patch could not be applied; the message names the JSON path and the problem."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path
