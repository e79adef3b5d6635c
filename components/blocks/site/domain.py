"""A site's custom domain: an ACM certificate validated through DNS, and alias records."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def certificate(site: str, domain: str, zone_id: str, parent: pulumi.Resource) -> pulumi.Output[str]:
    child = pulumi.ResourceOptions(parent=parent)
    # CloudFront only takes certificates from us-east-1.
    us_east_1 = aws.Provider(f"{site}-us-east-1", region="us-east-1", opts=child)
    cert = aws.acm.Certificate(
        site,
        domain_name=domain,
        validation_method="DNS",
        opts=pulumi.ResourceOptions(parent=parent, provider=us_east_1),
    )
    option = cert.domain_validation_options[0]
    record = aws.route53.Record(
        f"{site}-validation",
        zone_id=zone_id,
        name=option.resource_record_name,
        type=option.resource_record_type,
        records=[option.resource_record_value],
        ttl=300,
        allow_overwrite=True,
        opts=child,
    )
    validation = aws.acm.CertificateValidation(
        site,
        certificate_arn=cert.arn,
        validation_record_fqdns=[record.fqdn],
        opts=pulumi.ResourceOptions(parent=parent, provider=us_east_1),
    )
    return validation.certificate_arn


def alias_records(site: str, domain: str, zone_id: str, distribution: aws.cloudfront.Distribution, parent: pulumi.Resource) -> None:
    for record_type in ("A", "AAAA"):
        aws.route53.Record(
            f"{site}-{record_type.lower()}",
            zone_id=zone_id,
            name=domain,
            type=record_type,
            aliases=[
                aws.route53.RecordAliasArgs(
                    name=distribution.domain_name,
                    zone_id=distribution.hosted_zone_id,
                    evaluate_target_health=False,
                )
            ],
            opts=pulumi.ResourceOptions(parent=parent),
        )
