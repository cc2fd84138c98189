"""The old home of [`MessageStatus`][], kept so that pickles made by
automation-dsl 0.1 still load (they name ``automation_dsl._conditions.MessageStatus``).

The JavaScript subset now lives in `automation_dsl._js`, the statuses in
`automation_dsl._status`; nothing in the library imports this module.

Examples:
    >>> from automation_dsl._conditions import MessageStatus
    >>> MessageStatus.OPENED.value
    'OPENED'
"""

from ._status import MessageStatus

__all__ = ["MessageStatus"]
