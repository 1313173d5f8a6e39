# SPDX-License-Identifier: MIT
"""live_reconnect: how the SIMULATED Echo of `echosim.py live --reconnect`
gets its long-lived main connection back after a reset or a stall.

A real Echo does not reconnect in a tight loop: after losing its channel it
waits, and waits longer after each failed try. No capture of a muted Echo
behind a blocking gateway exists, so this is an assumption (docs/simulator.md),
shaped like the public AVS Device SDK's transport retry timer: a capped
exponential back-off. The first reconnect comes --backoff seconds after the
loss, each further loss or failed connect doubles the wait up to
--backoff-max, and a connection that carried a successful exchange (a
message whose whole reply came back) starts the series afresh. Device
timers (this back-off and --ping-timeout) run on the wall clock; --speed
compresses only the model's schedule. While the main connection is down,
the model's messages for it are not sent (counted as skipped_offline).
"""
import ssl
import time


class Reconnector:
	"""The back-off state of one Live run's main connection."""

	def __init__(self, live, first, cap):
		self.live, self.first, self.cap = live, first, cap
		self.fails = 0      # losses since the last successful exchange
		self.due = None     # monotonic time of the next try; None: none due
		self.cid = None
		self.sni = None

	def lost(self, m, cid):
		"""The main connection cid was reset, stalled or failed to open:
		schedule the next try (only with --reconnect)."""
		if not self.live.a.reconnect or cid != m.main:
			return
		self.cid, self.sni = cid, m.conns[cid][1]
		self.schedule()

	def exchanged(self, cid):
		"""A message on cid got its whole reply: the channel works."""
		if cid == self.cid or self.cid is None:
			self.fails = 0

	def sleep_until(self, until):
		"""Sleep to the monotonic time until, reconnecting on the way
		whenever a try falls due."""
		while self.due is not None and self.due <= until:
			delay = self.due - time.monotonic()
			if delay > 0:
				time.sleep(delay)
			self.due = None
			self.attempt()
		delay = until - time.monotonic()
		if delay > 0:
			time.sleep(delay)

	def attempt(self):
		live, t = self.live, time.monotonic()
		try:
			live.open(self.cid, self.sni)
		except (OSError, ssl.SSLError) as e:
			live.log.write(ev="error", conn=self.cid, kind="handshake",
				       error=str(e))
			self.schedule()
			return
		live.stats["reconnects"] += 1
		live.log.write(ev="reconnect", conn=self.cid,
			       took=round(time.monotonic() - t, 6))

	def schedule(self):
		"""The next try after one more loss: first * 2^fails, capped."""
		wait = min(self.cap, self.first * 2 ** self.fails)
		self.fails += 1
		self.due = time.monotonic() + wait
		self.live.log.write(ev="backoff", conn=self.cid,
				    wait=round(wait, 3), fails=self.fails)
