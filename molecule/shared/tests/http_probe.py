"""Send HTTP requests from the controller to the scenario's containers with curl.

Every request goes to an address on the scenario's own Docker network. A host name is never
looked up in DNS. curl's --resolve pins it to the given address, so the request carries the name
in SNI and in the Host header while the connection goes to the container.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

DEFAULT_TIMEOUT = 10


@dataclass
class Response:
    """Outcome of one request. Status 0 means that no HTTP response came back (see error)."""

    url: str
    status: int
    body: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def cookie(self, name: str) -> str | None:
        for value in self.header("Set-Cookie"):
            jar = SimpleCookie()
            jar.load(value)
            if name in jar:
                return jar[name].value
        return None

    def json(self) -> dict:
        try:
            return json.loads(self.body)
        except ValueError as error:
            raise AssertionError(f"{self.url}: expected JSON, got HTTP {self.status} {self.body[:200]!r}") from error

    def describe(self) -> str:
        if self.status == 0:
            return f"{self.url}: no response ({self.error.strip()})"
        return f"{self.url}: HTTP {self.status} {self.body[:200]!r}"


def request(
    address: str,
    port: int,
    path: str,
    *,
    host_name: str | None = None,
    scheme: str = "http",
    method: str = "GET",
    cookies: dict[str, str] | None = None,
    data: bytes | None = None,
    timeout: int = DEFAULT_TIMEOUT,
) -> Response:
    """Send one request to address:port, naming host_name in the URL if given."""
    authority = f"{host_name or address}:{port}"
    url = f"{scheme}://{authority}{path}"
    with tempfile.TemporaryDirectory(prefix="wso2cc-http-") as scratch:
        headers_file = Path(scratch, "headers")
        body_file = Path(scratch, "body")
        command = [
            "curl",
            "--silent",
            "--show-error",
            "--noproxy",
            "*",
            "--insecure",  # the load balancers and the test pack use self-signed certificates
            "--max-time",
            str(timeout),
            "--request",
            method,
            "--dump-header",
            str(headers_file),
            "--output",
            str(body_file),
            "--write-out",
            "%{http_code}",
        ]
        if host_name:
            command += ["--resolve", f"{host_name}:{port}:{address}"]
        if cookies:
            command += ["--cookie", "; ".join(f"{key}={value}" for key, value in cookies.items())]
        if data is not None:
            data_file = Path(scratch, "data")
            data_file.write_bytes(data)
            command += ["--data-binary", f"@{data_file}"]
        command.append(url)
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        status = int(result.stdout.strip() or 0)
        body = body_file.read_text(encoding="utf-8", errors="replace") if body_file.exists() else ""
        headers = []
        if headers_file.exists():
            for line in headers_file.read_text(encoding="latin-1").splitlines():
                if ":" in line:
                    key, value = line.split(":", 1)
                    headers.append((key.strip(), value.strip()))
        return Response(url=url, status=status, body=body, headers=headers, error=result.stderr)
