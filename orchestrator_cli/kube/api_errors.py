"""Classifying API failures: transient (retry) or final, and one-line descriptions of them (never a body)."""

from __future__ import annotations

import urllib3
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic.exceptions import DynamicApiError

TRANSIENT_STATUS = {429, 502, 503, 504}  # not 500 in general: SSA schema errors come back as 500
# 500s that a restarting control plane gives for a moment: a just-started API server whose Service IP
# allocator has not loaded its ServiceCIDRs yet ("range is full"), an etcd leader election. Retried,
# but only briefly: the same words from a really full range or a broken etcd must not take the
# whole retry budget to surface.
HICCUP_MESSAGES = ("failed to allocate a serviceIP", "etcdserver: leader changed", "etcdserver: request timed out")
HICCUP_BUDGET = 20.0


def _status(exc: BaseException) -> int | None:
    status = getattr(exc, "status", None)
    return int(status) if isinstance(status, int) or (isinstance(status, str) and status.isdigit()) else None


def _tls_failure(exc: BaseException) -> bool:
    import ssl

    reason = getattr(exc, "reason", None)
    return isinstance(exc, (ssl.SSLError, urllib3.exceptions.SSLError)) or isinstance(
        reason, (ssl.SSLError, urllib3.exceptions.SSLError))


def _tls_eof(exc: BaseException) -> bool:
    """The server (or a load balancer in front of it) closed the connection during or right after the
    TLS handshake: an API server going away or starting up, not a certificate problem."""
    import ssl

    seen: list[BaseException] = []
    todo: list = [exc]
    while todo and len(seen) < 8:
        e = todo.pop()
        if not isinstance(e, BaseException) or any(e is s for s in seen):
            continue
        seen.append(e)
        if isinstance(e, (ssl.SSLEOFError, ssl.SSLZeroReturnError)) or "UNEXPECTED_EOF" in str(e):
            return True
        todo.extend([getattr(e, "reason", None), e.__cause__, e.__context__, *e.args])
    return False


def server_hiccup(exc: BaseException) -> bool:
    """An HTTP 500 from a control plane that is still coming up (see HICCUP_MESSAGES)."""
    if _status(exc) != 500:
        return False
    text = describe_api_error(exc)
    return any(m in text for m in HICCUP_MESSAGES)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (DynamicApiError, ApiException)):
        return _status(exc) in TRANSIENT_STATUS or server_hiccup(exc)
    if _tls_eof(exc):  # e.g. "EOF occurred in violation of protocol" while the API server restarts
        return True
    if _tls_failure(exc):  # a wrong CA or certificate does not fix itself
        return False
    return isinstance(exc, (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError, OSError))


def describe_connection_error(exc: BaseException) -> str:
    """Why a request never got an HTTP answer, in a few words (not urllib3's retry wrapper name)."""
    if _tls_eof(exc):
        return "connection closed during the TLS handshake"
    if _tls_failure(exc):
        text = str(getattr(exc, "reason", None) or exc)
        if "CERTIFICATE_VERIFY_FAILED" in text:
            return "TLS verification failed (does the kubeconfig's certificate-authority match the server?)"
        if "PEM" in text or "KEY_VALUES_MISMATCH" in text:
            return "the kubeconfig's client certificate or key is not a valid PEM pair"
        return "TLS handshake failed"
    reason = getattr(exc, "reason", None) or exc
    text = str(reason).lower()
    if "refused" in text:
        return "connection refused"
    if isinstance(reason, urllib3.exceptions.ReadTimeoutError) or "read timed out" in text:
        return "no answer (read timed out): the API server is hung or overloaded"
    if "timed out" in text or isinstance(reason, TimeoutError):
        return "connection timed out"
    if "name or service not known" in text or "nodename nor servname" in text or "resolution" in text:
        return "host name not found"
    return reason.__class__.__name__


def describe_api_error(exc: BaseException) -> str:
    """One line from an API error: the server's message, never the request body."""
    status = _status(exc)
    body = getattr(exc, "body", None) or getattr(exc, "summary", lambda: "")()
    msg = ""
    if isinstance(body, (bytes, str)):
        import json

        try:
            msg = json.loads(body).get("message", "")
        except (ValueError, AttributeError):
            msg = ""
    if not msg:
        msg = getattr(exc, "reason", None) or exc.__class__.__name__
    return f"HTTP {status}: {msg}" if status else str(msg)
