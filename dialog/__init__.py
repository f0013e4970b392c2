"""dialog: the dialog-state tracker and policy (a library: no app, HTTP or sibling-package imports).

- ``events`` / ``state``: the event-sourced ``DialogState`` (a fold over events; ``DialogState.replay``).
- ``stores`` (memory, Redis) and ``recording.append_with_retry``: the hot event log, version-checked.
- ``channels`` (memory, Redis pub/sub): live fan-out of events to widgets and agent consoles.
- ``tracker_local.LocalTracker`` / ``tracker_llm.LLMTracker``: read a masked message into a ``TrackResult``.
- ``policy.Policy``: answer / clarify / dont_know / handoff; ``policy.events_for_decision``.
- ``handoff.build_handoff_package``: what the human agent receives.
- ``factory.build_tracker`` / ``factory.build_policy``: what the app wires.
- ``intents``: a tenant's intent set as plain data (``data/demo_intents.yaml`` for the demo tenant).
- ``evaluation``: the harnesses behind ``kefu eval intents|clinc|dialogs|sgd``.
"""
