"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

The signature is HMAC-SHA256, keyed with the base64-decoded secret, over
`{webhook-id}.{webhook-timestamp}.{body}`, sent as `v1,<base64>` in `webhook-signature`;
several space-separated signatures are sent while a rotated secret is still honoured.
"""

from collections.abc import Sequence
from datetime import datetime

from standardwebhooks.webhooks import Webhook


def sign_headers(
    *, secrets: Sequence[str], msg_id: str, timestamp: datetime, body: bytes
) -> dict[str, str]:
    data = body.decode()
    signatures = [Webhook(secret).sign(msg_id, timestamp, data) for secret in secrets]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
