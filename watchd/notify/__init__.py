"""Delivery: rendering alerts and the outbox worker that sends them, durably.

Only the built-in `console` channel is delivered so far; the other channels' outbox rows
wait, pending, for the apprise senders.
"""
