"""CloudFront's managed policies, by name: their ids are the same in every account.

`forwards` says what a managed origin request policy sends to the origin; local mode's front
door applies the same table, so a behaviour that would drop a header on AWS drops it locally.
"""

CACHE_POLICIES = {
    "CachingDisabled": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
    "CachingOptimized": "658327ea-f89d-4fab-a63d-7e88639e58f6",
}

ORIGIN_REQUEST_POLICIES = {
    "AllViewer": {"id": "216adef6-5c7f-47e4-b989-5492eafa07d3", "headers": "allViewer"},
    # A Lambda Function URL rejects a foreign Host header, so URL origins must not get the viewer's.
    "AllViewerExceptHostHeader": {
        "id": "b689b0a8-53d0-40ab-baf2-68738e2966ac",
        "headers": "allViewerAndWhitelistCloudFront",
    },
}
