"""Code written the way users write it, for the type checkers (``make typecheck``)."""
