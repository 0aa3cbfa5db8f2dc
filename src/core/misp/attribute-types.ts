// The standard MISP attribute types and categories: the category→type lists of the MISP core format
// draft (misp-rfc, "type"), plus the rule-language types misp-stix maps (suricata).

/** The 16 MISP categories (exact strings). */
export const MISP_CATEGORIES: readonly string[] = [
  'Antivirus detection',
  'Artifacts dropped',
  'Attribution',
  'External analysis',
  'Financial fraud',
  'Internal reference',
  'Network activity',
  'Other',
  'Payload delivery',
  'Payload installation',
  'Payload type',
  'Persistence mechanism',
  'Person',
  'Social network',
  'Support Tool',
  'Targeting data',
]

// Valid types per category, comma-separated (one type, `named pipe`, holds a space).
const CATEGORY_TYPE_LISTS: Readonly<Record<string, string>> = {
  'Antivirus detection': 'link,comment,text,hex,attachment,other,anonymised',
  'Artifacts dropped':
    'md5,sha1,sha224,sha256,sha384,sha512,sha512/224,sha512/256,sha3-224,sha3-256,sha3-384,' +
    'sha3-512,ssdeep,imphash,telfhash,impfuzzy,authentihash,vhash,cdhash,filename,filename|md5,' +
    'filename|sha1,filename|sha224,filename|sha256,filename|sha384,filename|sha512,' +
    'filename|sha512/224,filename|sha512/256,filename|sha3-224,filename|sha3-256,' +
    'filename|sha3-384,filename|sha3-512,filename|authentihash,filename|vhash,filename|ssdeep,' +
    'filename|tlsh,filename|imphash,filename|impfuzzy,filename|pehash,regkey,regkey|value,' +
    'pattern-in-file,pattern-in-memory,filename-pattern,pdb,stix2-pattern,yara,sigma,' +
    'attachment,malware-sample,named pipe,mutex,process-state,windows-scheduled-task,' +
    'windows-service-name,windows-service-displayname,comment,text,hex,x509-fingerprint-sha1,' +
    'x509-fingerprint-md5,x509-fingerprint-sha256,other,cookie,gene,kusto-query,mime-type,' +
    'anonymised,pgp-public-key,pgp-private-key',
  Attribution:
    'threat-actor,campaign-name,campaign-id,whois-registrant-phone,whois-registrant-email,' +
    'whois-registrant-name,whois-registrant-org,whois-registrar,whois-creation-date,comment,' +
    'text,x509-fingerprint-sha1,x509-fingerprint-md5,x509-fingerprint-sha256,other,' +
    'dns-soa-email,anonymised,email',
  'External analysis':
    'md5,sha1,sha256,sha3-224,sha3-256,sha3-384,sha3-512,filename,filename|md5,filename|sha1,' +
    'filename|sha256,filename|sha3-224,filename|sha3-256,filename|sha3-384,filename|sha3-512,' +
    'ip-src,ip-dst,ip-dst|port,ip-src|port,mac-address,mac-eui-64,hostname,domain,domain|ip,' +
    'url,user-agent,regkey,regkey|value,AS,snort,bro,zeek,pattern-in-file,pattern-in-traffic,' +
    'pattern-in-memory,filename-pattern,vulnerability,cpe,weakness,attachment,malware-sample,' +
    'link,comment,text,x509-fingerprint-sha1,x509-fingerprint-md5,x509-fingerprint-sha256,' +
    'ja3-fingerprint-md5,jarm-fingerprint,hassh-md5,hasshserver-md5,github-repository,other,' +
    'cortex,anonymised,community-id,dom-hash,onion-address',
  'Financial fraud':
    'btc,dash,xmr,iban,bic,bank-account-nr,aba-rtn,bin,cc-number,prtn,phone-number,comment,' +
    'text,other,hex,anonymised',
  'Internal reference': 'text,link,comment,other,hex,anonymised,git-commit-id',
  'Network activity':
    'ip-src,ip-dst,ip-dst|port,ip-src|port,port,hostname,domain,domain|ip,mac-address,' +
    'mac-eui-64,email,email-dst,email-src,eppn,url,uri,user-agent,http-method,AS,snort,' +
    'pattern-in-file,filename-pattern,stix2-pattern,pattern-in-traffic,attachment,comment,text,' +
    'x509-fingerprint-md5,x509-fingerprint-sha1,x509-fingerprint-sha256,ja3-fingerprint-md5,' +
    'jarm-fingerprint,hassh-md5,hasshserver-md5,other,hex,cookie,hostname|port,bro,zeek,' +
    'anonymised,community-id,email-subject,favicon-mmh3,dkim,dkim-signature,ssh-fingerprint,' +
    'dom-hash,onion-address',
  Other:
    'comment,text,other,size-in-bytes,counter,integer,datetime,cpe,port,float,hex,phone-number,' +
    'boolean,anonymised,pgp-public-key,pgp-private-key,uuid',
  'Payload delivery':
    'md5,sha1,sha224,sha256,sha384,sha512,sha512/224,sha512/256,sha3-224,sha3-256,sha3-384,' +
    'sha3-512,ssdeep,imphash,telfhash,impfuzzy,authentihash,vhash,pehash,tlsh,cdhash,filename,' +
    'filename|md5,filename|sha1,filename|sha224,filename|sha256,filename|sha384,' +
    'filename|sha512,filename|sha512/224,filename|sha512/256,filename|sha3-224,' +
    'filename|sha3-256,filename|sha3-384,filename|sha3-512,filename|authentihash,' +
    'filename|vhash,filename|ssdeep,filename|tlsh,filename|imphash,filename|impfuzzy,' +
    'filename|pehash,mac-address,mac-eui-64,ip-src,ip-dst,ip-dst|port,ip-src|port,hostname,' +
    'domain,email,email-src,email-dst,email-subject,email-attachment,email-body,url,user-agent,' +
    'AS,pattern-in-file,pattern-in-traffic,filename-pattern,stix2-pattern,yara,sigma,mime-type,' +
    'attachment,malware-sample,link,malware-type,comment,text,hex,vulnerability,cpe,weakness,' +
    'x509-fingerprint-sha1,x509-fingerprint-md5,x509-fingerprint-sha256,ja3-fingerprint-md5,' +
    'jarm-fingerprint,hassh-md5,hasshserver-md5,other,hostname|port,email-dst-display-name,' +
    'email-src-display-name,email-header,email-reply-to,email-x-mailer,email-mime-boundary,' +
    'email-thread-index,email-message-id,azure-application-id,mobile-application-id,' +
    'chrome-extension-id,whois-registrant-email,anonymised,onion-address',
  'Payload installation':
    'md5,sha1,sha224,sha256,sha384,sha512,sha512/224,sha512/256,sha3-224,sha3-256,sha3-384,' +
    'sha3-512,ssdeep,imphash,telfhash,impfuzzy,authentihash,vhash,pehash,tlsh,cdhash,filename,' +
    'filename|md5,filename|sha1,filename|sha224,filename|sha256,filename|sha384,' +
    'filename|sha512,filename|sha512/224,filename|sha512/256,filename|sha3-224,' +
    'filename|sha3-256,filename|sha3-384,filename|sha3-512,filename|authentihash,' +
    'filename|vhash,filename|ssdeep,filename|tlsh,filename|imphash,filename|impfuzzy,' +
    'filename|pehash,pattern-in-file,pattern-in-traffic,pattern-in-memory,filename-pattern,' +
    'stix2-pattern,yara,sigma,vulnerability,cpe,weakness,attachment,malware-sample,' +
    'malware-type,comment,text,hex,x509-fingerprint-sha1,x509-fingerprint-md5,' +
    'x509-fingerprint-sha256,azure-application-id,mobile-application-id,chrome-extension-id,' +
    'other,mime-type,anonymised',
  'Payload type': 'comment,text,other,anonymised',
  'Persistence mechanism': 'filename,regkey,regkey|value,comment,text,other,hex,anonymised',
  Person:
    'first-name,middle-name,last-name,full-name,date-of-birth,place-of-birth,gender,' +
    'passport-number,passport-country,passport-expiration,redress-number,nationality,' +
    'visa-number,issue-date-of-the-visa,primary-residence,country-of-residence,' +
    'special-service-request,frequent-flyer-number,travel-details,payment-details,' +
    'place-port-of-original-embarkation,place-port-of-clearance,' +
    'place-port-of-onward-foreign-destination,passenger-name-record-locator-number,comment,' +
    'text,other,phone-number,identity-card-number,anonymised,email,pgp-public-key,' +
    'pgp-private-key',
  'Social network':
    'github-username,github-repository,github-organisation,jabber-id,twitter-id,email,' +
    'email-src,email-dst,eppn,comment,text,other,whois-registrant-email,anonymised,' +
    'pgp-public-key,pgp-private-key',
  'Support Tool': 'link,text,attachment,comment,other,hex,anonymised',
  'Targeting data':
    'target-user,target-email,target-machine,target-org,target-location,target-external,' +
    'comment,anonymised',
}

/** Types that exist outside the category lists of the draft but that MISP and misp-stix use. */
const EXTRA_TYPES: readonly string[] = ['suricata']

let categoryTypes: ReadonlyMap<string, ReadonlySet<string>> | null = null
let knownTypes: ReadonlySet<string> | null = null

function loadTypes(): { byCategory: ReadonlyMap<string, ReadonlySet<string>>; all: ReadonlySet<string> } {
  if (categoryTypes === null || knownTypes === null) {
    const byCategory = new Map<string, ReadonlySet<string>>()
    const all = new Set<string>(EXTRA_TYPES)
    for (const [category, list] of Object.entries(CATEGORY_TYPE_LISTS)) {
      const types = new Set(list.split(','))
      byCategory.set(category, types)
      for (const type of types) {
        all.add(type)
      }
    }
    categoryTypes = byCategory
    knownTypes = all
  }
  return { byCategory: categoryTypes, all: knownTypes }
}

/** True when `type` is a standard MISP attribute type. */
export function isKnownAttributeType(type: string): boolean {
  return loadTypes().all.has(type)
}

/** True when `category` is one of the 16 MISP categories. */
export function isKnownCategory(category: string): boolean {
  return loadTypes().byCategory.has(category)
}

/** True when the draft lists `type` under `category` (false for unknown categories or types). */
export function isTypeAllowedInCategory(type: string, category: string): boolean {
  return loadTypes().byCategory.get(category)?.has(type) ?? false
}

/** Every standard MISP attribute type, sorted. */
export function listAttributeTypes(): string[] {
  return [...loadTypes().all].sort()
}

/**
 * Composite types and how their value splits: MISP splits on the first `|`; `regkey|value` data may
 * itself hold `|`, every other composite has exactly two parts.
 */
export function isCompositeType(type: string): boolean {
  return type.includes('|') || type === 'malware-sample'
}

/** Hex digest length of the fixed-length hash types (value, or second part of `filename|<hash>`). */
export const HASH_HEX_LENGTH: Readonly<Record<string, number>> = {
  md5: 32,
  sha1: 40,
  sha224: 56,
  sha256: 64,
  sha384: 96,
  sha512: 128,
  'sha512/224': 56,
  'sha512/256': 64,
  'sha3-224': 56,
  'sha3-256': 64,
  'sha3-384': 96,
  'sha3-512': 128,
  imphash: 32,
  authentihash: 64,
  pehash: 40,
  cdhash: 40,
  'x509-fingerprint-md5': 32,
  'x509-fingerprint-sha1': 40,
  'x509-fingerprint-sha256': 64,
  'ja3-fingerprint-md5': 32,
  'hassh-md5': 32,
  'hasshserver-md5': 32,
}

/** MISP's default category of the types the STIX→MISP direction can produce. */
export const DEFAULT_CATEGORY: Readonly<Record<string, string>> = {
  AS: 'Network activity',
  attachment: 'External analysis',
  'campaign-name': 'Attribution',
  domain: 'Network activity',
  'domain|ip': 'Network activity',
  email: 'Network activity',
  'email-attachment': 'Payload delivery',
  'email-body': 'Payload delivery',
  'email-dst': 'Network activity',
  'email-header': 'Payload delivery',
  'email-message-id': 'Payload delivery',
  'email-reply-to': 'Payload delivery',
  'email-src': 'Payload delivery',
  'email-subject': 'Payload delivery',
  'email-x-mailer': 'Payload delivery',
  filename: 'Payload delivery',
  'github-username': 'Social network',
  hostname: 'Network activity',
  'hostname|port': 'Network activity',
  'http-method': 'Network activity',
  'ip-dst': 'Network activity',
  'ip-dst|port': 'Network activity',
  'ip-src': 'Network activity',
  'ip-src|port': 'Network activity',
  link: 'External analysis',
  'mac-address': 'Network activity',
  'malware-sample': 'Payload delivery',
  mutex: 'Artifacts dropped',
  port: 'Network activity',
  regkey: 'Persistence mechanism',
  'regkey|value': 'Persistence mechanism',
  sigma: 'Payload installation',
  'size-in-bytes': 'Other',
  snort: 'Network activity',
  'stix2-pattern': 'Payload installation',
  suricata: 'Network activity',
  text: 'Other',
  uri: 'Network activity',
  url: 'Network activity',
  'user-agent': 'Network activity',
  vulnerability: 'External analysis',
  'x509-fingerprint-md5': 'Network activity',
  'x509-fingerprint-sha1': 'Network activity',
  'x509-fingerprint-sha256': 'Network activity',
  yara: 'Payload installation',
}

/** The default category of `type`: the table above, hashes and filenames as payload delivery, else Other. */
export function defaultCategoryOf(type: string): string {
  const known = DEFAULT_CATEGORY[type]
  if (known !== undefined) {
    return known
  }
  if (type in HASH_HEX_LENGTH || type.startsWith('filename|') || type === 'ssdeep' || type === 'tlsh') {
    return 'Payload delivery'
  }
  return 'Other'
}
