"""Caps on request bodies: larger ones get 413 before any of the app sees them, and
bodies that do not arrive in time get 408 (a client that sends headers and half a body
does not hold the connection)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]


class _TooLarge(Exception):
    pass


class _TooSlow(Exception):
    pass


class BodyLimit:
    """ASGI middleware: a request whose body (declared or streamed) exceeds
    ``max_bytes`` is answered 413, and one whose body has not fully arrived ``timeout``
    seconds after the app first asks for it 408, each with a JSON ``detail``."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float = 30.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await self._refuse(send, 400, "the Content-Length header is not a number")
                    return
                if declared > self.max_bytes:
                    await self._refuse(send, 413, self._message(declared))
                    return
        received = 0
        over = slow = complete = False
        started = False
        deadline: float | None = None

        async def limited() -> Message:
            nonlocal received, over, slow, complete, deadline
            if complete:  # the body is in: what follows is the client leaving
                return await receive()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.timeout if deadline is None else deadline
            try:
                message = await asyncio.wait_for(receive(), max(deadline - loop.time(), 0.0))
            except TimeoutError:
                slow = True
                raise _TooSlow from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                complete = not message.get("more_body", False)
                if received > self.max_bytes:
                    over = True
                    raise _TooLarge
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if over or slow:  # whatever the app makes of the cut body, the answer is ours
                return
            started = True
            await send(message)

        with contextlib.suppress(_TooLarge, _TooSlow):
            await self.app(scope, limited, guarded)
        if started:
            return
        if over:
            await self._refuse(send, 413, f"the request body exceeds {self.max_bytes} bytes")
        elif slow:
            await self._refuse(
                send, 408, f"the request body did not arrive within {self.timeout:g} s"
            )

    def _message(self, size: int) -> str:
        return f"the request body is {size} bytes; the limit is {self.max_bytes} bytes"

    @staticmethod
    async def _refuse(send: Send, status: int, detail: str) -> None:
        body = json.dumps({"detail": detail}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
