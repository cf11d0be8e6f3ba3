"""A whole agency system on one screen: take assignments, work on them, report back.

Run it with ``uv run python -m satupintu_shared.sdk.example CREDENTIALS.json``, the agency's credentials
as ``satupintu agency credentials create <agency_code> --json`` printed them (the file names the agency,
the broker and how to authenticate). Stop it with Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from satupintu_shared.events import RequestAssigned, SubmissionReceipt
from satupintu_shared.sdk import AgencyClient

OFFICER = "198001012005011001"  # NIP of the officer on duty (18 digits)


async def main(credentials_file: str) -> None:
    async with AgencyClient.from_credentials_json(credentials_file) as client:

        @client.on_assignment
        async def handle(request: RequestAssigned) -> None:
            tn = request.tracking_number
            if request.service_code.startswith("imb-"):  # building permits are the city's, not ours
                await client.return_not_our_authority(tn, "building permits belong to DPMPTSP")
                return
            await client.accept(tn, officer_id=OFFICER, note="received at counter 3")
            await client.start(tn, officer_id=OFFICER)
            await asyncio.sleep(1)  # ... the real work happens here ...
            await client.complete(tn, officer_id=OFFICER, note="document ready for pickup")

        @client.on_receipt
        async def receipt(receipt: SubmissionReceipt) -> None:
            print(f"our submission {receipt.reference} is {receipt.tracking_number}")

        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, client.stop)
        loop.add_signal_handler(signal.SIGINT, client.stop)
        await client.run()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m satupintu_shared.sdk.example CREDENTIALS.json")
    asyncio.run(main(sys.argv[1]))
