"""A DynamoDB table: on demand, point-in-time recovery, TTL when asked, protected in prod."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional, Sequence

import pulumi
import pulumi_aws as aws

from components.stack.context import Context
from components.blocks.links import Link, env_name, grant


@dataclass(frozen=True)
class Index:
    name: str
    hash_key: str
    range_key: Optional[str] = None


@dataclass
class TableArgs:
    hash_key: str
    range_key: Optional[str] = None
    # Types of the key attributes of the table and of its indexes: "S", "N" or "B".
    attributes: dict[str, Literal["S", "N", "B"]] = field(default_factory=dict)
    indexes: Sequence[Index] = ()
    ttl_attribute: Optional[str] = None
    stream: Optional[Literal["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"]] = None


class Table(pulumi.ComponentResource):
    def __init__(self, name: str, args: TableArgs, ctx: Context, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mainstreet:data:Table", name, None, opts)
        self.logical_name = name
        keys = {args.hash_key, *(k for k in [args.range_key] if k)}
        for index in args.indexes:
            keys |= {index.hash_key, *(k for k in [index.range_key] if k)}
        missing = keys - set(args.attributes)
        if missing:
            raise ValueError(f"table {name}: give the type of key attributes {sorted(missing)}")

        self.table = aws.dynamodb.Table(
            name,
            name=ctx.naming(name, "table"),
            billing_mode="PAY_PER_REQUEST",
            hash_key=args.hash_key,
            range_key=args.range_key,
            attributes=[aws.dynamodb.TableAttributeArgs(name=k, type=t) for k, t in sorted(args.attributes.items())],
            global_secondary_indexes=[
                aws.dynamodb.TableGlobalSecondaryIndexArgs(
                    name=index.name,
                    key_schemas=[
                        aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(attribute_name=key, key_type=kind)
                        for key, kind in ((index.hash_key, "HASH"), (index.range_key, "RANGE"))
                        if key
                    ],
                    projection_type="ALL",
                )
                for index in args.indexes
            ],
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=args.ttl_attribute, enabled=True)
            if args.ttl_attribute
            else None,
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(
                enabled=ctx.stage.point_in_time_recovery
            ),
            deletion_protection_enabled=ctx.stage.deletion_protection,
            stream_enabled=bool(args.stream),
            stream_view_type=args.stream,
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
            opts=ctx.stage.stateful(parent=self),
        )
        self.name = self.table.name
        self.arn = self.table.arn
        self.stream_arn = self.table.stream_arn
        self.index_names = [index.name for index in args.indexes]
        self.register_outputs({"name": self.name, "arn": self.arn})

    def grant(self, *grants: str, keys: Sequence[str] = ()) -> Link:
        """These grants (see links.ACTIONS["table"]) on this table's items; with `keys` (patterns
        such as "TRACK#*"), only on items whose partition key matches one. Not on its indexes:
        querying one is `query_index`, under a condition on that index's own key."""
        condition = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": list(keys)}} if keys else None
        return grant("table", self.logical_name, grants, [self.arn], condition=condition, resource=self,
                     env={env_name(self.logical_name, "table"): self.name})

    def query_index(self, index: str, *, keys: Optional[Sequence[str]]) -> Link:
        """Query on one index. On an index ARN `dynamodb:LeadingKeys` is the *index's* partition
        key value (a Query of `by-status` carries `job_status`, not the table's `pk`), so `keys`
        are patterns of that key, or None for any value. `keys` has no default: decide per index,
        and say why next to the link."""
        if index not in self.index_names:
            raise ValueError(f"table {self.logical_name} has no index {index!r}; it has {self.index_names}")
        if keys is not None and not keys:
            raise ValueError(f"query_index({index!r}): keys=[] would allow nothing; give patterns, or None for any value")
        condition = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": list(keys)}} if keys else None
        return grant("table", f"{self.logical_name}/index/{index}", ["query"],
                     [self.arn.apply(lambda arn: f"{arn}/index/{index}")], condition=condition, resource=self,
                     env={env_name(self.logical_name, "table"): self.name})

    def read(self, keys: Sequence[str] = ()) -> Link:
        return self.grant("get", "query", keys=keys)

    def get(self, keys: Sequence[str] = ()) -> Link:
        return self.grant("get", keys=keys)

    def query(self, keys: Sequence[str] = ()) -> Link:
        return self.grant("query", keys=keys)

    def append(self, keys: Sequence[str] = ()) -> Link:
        return self.grant("append", keys=keys)

    def update(self, keys: Sequence[str] = ()) -> Link:
        return self.grant("update", keys=keys)

    @property
    def stream_read(self) -> Link:
        """What Lambda needs to read this table's stream for a function (no env: Lambda reads it):
        the reads on the stream, and ListStreams in a statement of its own on "*", the only
        resource IAM matches it against."""
        read = grant("stream", self.logical_name, ["read"], [self.arn.apply(lambda arn: f"{arn}/stream/*")], resource=self)
        listing = grant("stream", self.logical_name, ["list"], ["*"], resource=self)
        return Link("stream", self.logical_name, ("read", "list"), {}, read.statements + listing.statements, self)
