"""The offline engine's names, as the sandbox uses them: imported in this one place.

The sandbox runs automations with the library's simulator (:class:`Engine`) and shows
its results (:class:`Event`, :class:`Message`, :class:`Timeline`); every sandbox module
takes these names from here, so where the simulator lives is written once.
"""

from .._simulate import Engine, Event, Message, RunState, Timeline, VirtualClock

__all__ = ["Engine", "Event", "Message", "RunState", "Timeline", "VirtualClock"]
