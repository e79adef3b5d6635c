"""A DynamoDB table: on demand, point-in-time recovery, TTL when asked, protected in prod."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal, Optional, Sequence

import pulumi
import pulumi_aws as aws

from components.stack.context import Context
from components.blocks.links import Link, Statement, env_name

READ = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem")
WRITE = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem")


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

    def link(self, *actions: str, leading_keys: Sequence[str] = ()) -> Link:
        """Exactly these DynamoDB actions on this table and its indexes; with `leading_keys`
        (patterns such as "TRACK#*"), only on items whose partition key matches one."""
        resources = [self.arn, *(self.arn.apply(lambda arn, i=i: f"{arn}/index/{i}") for i in self.index_names)]
        verbs = "+".join(a.split(":")[1] for a in actions)
        condition = (
            json.dumps({"ForAllValues:StringLike": {"dynamodb:LeadingKeys": list(leading_keys)}}) if leading_keys else None
        )
        return Link(
            target=f"table {self.logical_name} ({verbs}{' on ' + ', '.join(leading_keys) if leading_keys else ''})",
            env={env_name(self.logical_name, "table"): self.name},
            statements=(Statement(tuple(actions), tuple(resources), condition),),
        )

    @property
    def stream_read(self) -> Link:
        """What Lambda needs to read this table's stream for a function (no env: Lambda reads it)."""
        return Link(
            target=f"stream of table {self.logical_name}",
            statements=(
                Statement(
                    ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"),
                    (self.arn.apply(lambda arn: f"{arn}/stream/*"),),
                ),
            ),
        )

    @property
    def read(self) -> Link:
        return self.link(*READ)

    @property
    def write(self) -> Link:
        return self.link(*WRITE)

    @property
    def read_write(self) -> Link:
        return self.link(*READ, *WRITE)
