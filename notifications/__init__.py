"""Alerts: what happened, to whom it matters, through which channels (in-app always; e-mail; an SMS/IM gateway
can be added as a channel). It listens to the events the domain apps announce after commit; no domain app
imports it."""
