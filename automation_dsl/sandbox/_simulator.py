"""The offline engine's names, as the sandbox uses them: imported in this one place.

The sandbox runs automations with the library's simulator (`Engine`) and shows
its results ([`Event`][], [`Message`][], [`Timeline`][]); every sandbox module
takes these names from here, so where the simulator lives is written once.
"""

from .._engine import Engine, RunState
from .._timeline import Event, Message, Timeline, VirtualClock

__all__ = ["Engine", "Event", "Message", "RunState", "Timeline", "VirtualClock"]
