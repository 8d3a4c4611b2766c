"""Schemathesis hooks for fieldweek (scripts/schemathesis.sh): tus bodies are raw bytes."""

import schemathesis


@schemathesis.serializer("application/offset+octet-stream")
def offset_stream(ctx, value):
    if isinstance(value, bytes):
        return value
    return str(value).encode()
