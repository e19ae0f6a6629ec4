// The RDAP domain object (RFC 9083 section 5.3), only the parts DOMAIN_INFO needs, and its mapping. Registries
// add many members of their own: unknown members are ignored, and a malformed event or entity is skipped
// rather than failing the whole answer.
import { z } from 'zod';

const event = z.looseObject({ eventAction: z.string(), eventDate: z.string() });
const entity = z.looseObject({
  roles: z.array(z.string()).optional(),
  // jCard (RFC 7095): ["vcard", [[name, params, type, value], ...]]
  vcardArray: z.unknown().optional(),
});
const nameserver = z.looseObject({ ldhName: z.string().optional() });

export const rdapDomainSchema = z.looseObject({
  objectClassName: z.literal('domain', { message: 'objectClassName must be "domain"' }),
  ldhName: z.string().optional(),
  events: z.array(z.unknown()).optional(),
  entities: z.array(z.unknown()).optional(),
  nameservers: z.array(z.unknown()).optional(),
});
export type RdapDomain = z.infer<typeof rdapDomainSchema>;

/** RFC 9083 section 6 error body: some servers say why they refused. */
export const rdapErrorSchema = z.looseObject({
  errorCode: z.number().optional(),
  title: z.string().optional(),
  description: z.array(z.string()).optional(),
});

export interface DomainRegistration {
  registrar?: string;
  created?: string;
  expires?: string;
  nameservers?: string[];
}

function valid<T>(schema: z.ZodType<T>, items: unknown[] | undefined): T[] {
  return (items ?? []).flatMap((item) => {
    const parsed = schema.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  });
}

/** The formatted name ("fn") of a jCard, if it has one. */
export function vcardFormattedName(vcardArray: unknown): string | undefined {
  if (!Array.isArray(vcardArray) || vcardArray[0] !== 'vcard' || !Array.isArray(vcardArray[1])) return undefined;
  for (const property of vcardArray[1] as unknown[]) {
    if (Array.isArray(property) && property[0] === 'fn' && typeof property[3] === 'string' && property[3].trim()) {
      return property[3].trim();
    }
  }
  return undefined;
}

function isoDate(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

export function eventDate(domain: RdapDomain, action: string): string | undefined {
  return isoDate(valid(event, domain.events).find((e) => e.eventAction === action)?.eventDate);
}

export function toRegistration(domain: RdapDomain): DomainRegistration {
  const registrarEntity = valid(entity, domain.entities).find((e) => e.roles?.includes('registrar'));
  const nameservers = [
    ...new Set(
      valid(nameserver, domain.nameservers)
        .map((ns) => ns.ldhName?.trim().toLowerCase().replace(/\.$/, ''))
        .filter((name): name is string => !!name),
    ),
  ];
  const registration: DomainRegistration = {
    registrar: registrarEntity ? vcardFormattedName(registrarEntity.vcardArray) : undefined,
    created: eventDate(domain, 'registration'),
    expires: eventDate(domain, 'expiration'),
    nameservers: nameservers.length ? nameservers : undefined,
  };
  // Drop absent fields so the answer carries only what the registry said.
  return Object.fromEntries(Object.entries(registration).filter(([, v]) => v !== undefined)) as DomainRegistration;
}
