"""Request routing as libprocess does it (3rdparty/libprocess/src/process.cpp,
ProcessBase::consume): empty path segments are ignored, a trailing '/' is trimmed
(`/master/state/` is `/master/state`), and a path no endpoint has is served by the endpoint
at its longest prefix (`/master/state/x` is `/master/state` too; `/api/v1/foo` is
`/api/v1`). Everything path-dependent downstream (authentication realms, the call kind of a
v1 body, ACLs) reads `endpoint_path()`, the path of the endpoint that serves the request,
so a trailing slash cannot route around them."""

from __future__ import annotations

from aiohttp import web
from aiohttp.web_urldispatcher import UrlMappingMatchInfo


class LibprocessRouter(web.UrlDispatcher):
    async def resolve(self, request: web.Request) -> UrlMappingMatchInfo:
        match = await super().resolve(request)
        if not isinstance(match.http_exception, web.HTTPNotFound):
            return match
        for candidate in _prefixes(request.path):
            retry = request.clone(rel_url=request.rel_url.with_path(candidate))
            found = await super().resolve(retry)
            if not isinstance(found.http_exception, web.HTTPNotFound):
                return found
        return match


def _prefixes(path: str) -> list[str]:
    """The paths libprocess tries after `path` itself: without empty segments and the
    trailing '/', then shorter by one segment at a time."""
    segments = [s for s in path.split("/") if s]
    candidates = ["/" + "/".join(segments[:end]) for end in range(len(segments), 0, -1)]
    return [c for c in candidates if c != path]


def endpoint_path(request: web.Request) -> str:
    """The path of the endpoint serving `request` (its route's path, not the one asked)."""
    resource = request.match_info.route.resource
    if request.match_info.http_exception is None and resource is not None:
        return resource.canonical
    return request.path
