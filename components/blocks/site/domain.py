"""A site's custom domain: an ACM certificate validated through DNS, and alias records.

Mainstreet never overwrites a DNS record it did not create unless the stack says so
(`takeOverDomains`): a domain that already has an A record (a business's existing site) makes
`pulumi up` stop at that record instead of silently taking the site over. Route 53 answers
"Tried to create resource record set ... but it already exists"; the fix is a subdomain such as
`book.example.com`, or listing the domain in `takeOverDomains`.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.stack.context import Context


def may_overwrite(domain: str, parent: pulumi.Resource) -> bool:
    # The site passes itself as parent; its context carries the stack's takeOverDomains.
    ctx: Context = getattr(parent, "ctx")
    return domain in ctx.dns_takeover


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
    # ACM reuses one validation CNAME per domain and account: an existing one may be another
    # certificate's (the business's own site), and a record Pulumi took over it would delete on destroy.
    record = aws.route53.Record(
        f"{site}-validation",
        zone_id=zone_id,
        name=option.resource_record_name,
        type=option.resource_record_type,
        records=[option.resource_record_value],
        ttl=300,
        allow_overwrite=may_overwrite(domain, parent),
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
            allow_overwrite=may_overwrite(domain, parent),
            opts=pulumi.ResourceOptions(parent=parent),
        )
