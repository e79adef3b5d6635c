"""Data a stack starts with: objects and table items written by Pulumi once, then owned by
people (the owner edits rules.txt; staff add vendors)."""

from __future__ import annotations

import json
from typing import Mapping, Optional, Sequence

import pulumi
import pulumi_aws as aws

from components.blocks.bucket import Bucket
from components.blocks.table import Table


def _child(parent: pulumi.Resource, moved_from: Optional[pulumi.Resource], **kwargs) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(parent=parent, aliases=[pulumi.Alias(parent=moved_from)] if moved_from is not None else None, **kwargs)


class SeedObjects(pulumi.ComponentResource):
    """Files uploaded to `bucket` as their first version only: later edits are the owner's."""

    def __init__(self, name: str, bucket: Bucket, files: Mapping[str, str], content_type: str,
                 moved_from: Optional[pulumi.Resource] = None, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mainstreet:data:SeedObjects", name, None, opts)
        for key, path in files.items():
            aws.s3.BucketObjectv2(f"{name}-{key}", bucket=bucket.bucket.id, key=key, source=pulumi.FileAsset(path),
                                  content_type=content_type,
                                  opts=_child(self, moved_from, ignore_changes=["source", "content", "etag"]))
        self.register_outputs({})


class SeedItems(pulumi.ComponentResource):
    """Items put in `table`, each keyed by its resource name (`vendor-solare`)."""

    def __init__(self, name: str, table: Table, items: Mapping[str, dict], key_names: Sequence[str],
                 moved_from: Optional[pulumi.Resource] = None, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mainstreet:data:SeedItems", name, None, opts)
        hash_key, range_key = (list(key_names) + [None])[:2]
        for resource_name, item in items.items():
            typed = {k: {"S": str(v)} for k, v in item.items()}
            aws.dynamodb.TableItem(resource_name, table_name=table.name, hash_key=hash_key, range_key=range_key,
                                   item=pulumi.Output.from_input(typed).apply(json.dumps), opts=_child(self, moved_from))
        self.register_outputs({})
