/**
 * The Reference Security Incident Taxonomy (RSIT, version 1.3, machinetag namespace `rsit`) as data:
 * every class and its incident types with their names and descriptions, from the standard's
 * machinetag file (a unit test keeps the two equal).
 *
 * @example
 * isRsitType('malicious-code', 'ransomware') // false: ransomware is not an RSIT 1.3 type
 */

/** One incident type of an RSIT class. */
export interface RsitType {
  /** Machine value, e.g. `spam`. */
  readonly value: string
  /** Human name, e.g. `Spam`. */
  readonly name: string
  readonly description: string
}

/** One RSIT class with its types. */
export interface RsitClass {
  /** Machine value, e.g. `abusive-content`. */
  readonly value: string
  readonly name: string
  readonly description: string
  readonly types: readonly RsitType[]
}

/** Every RSIT class, in the standard's order. */
export const RSIT_CLASSES: readonly RsitClass[] = [
  {
    value: 'abusive-content',
    name: 'Abusive Content',
    description: 'Abusive Content.',
    types: [
      {
        value: 'spam',
        name: 'Spam',
        description:
          "Or 'Unsolicited Bulk Email', this means that the recipient has not granted verifiable permission for the message to be sent and that the message is sent as part of a larger collection of messages, all having a functionally comparable content. This IOC refers to resources, which make up a SPAM infrastructure, be it a harvesters like address verification, URLs in spam e-mails etc.",
      },
      {
        value: 'harmful-speech',
        name: 'Harmful Speech',
        description:
          'Discretization or discrimination of somebody, e.g. cyber stalking, racism or threats against one or more individuals.',
      },
      {
        value: 'violence',
        name: '(Child) Sexual Exploitation/Sexual/Violent Content',
        description: 'Child Sexual Exploitation (CSE), Sexual content, glorification of violence, etc.',
      },
    ],
  },
  {
    value: 'malicious-code',
    name: 'Malicious Code',
    description:
      'Software that is intentionally included or inserted in a system for a harmful purpose. A user interaction is normally necessary to activate the code.',
    types: [
      {
        value: 'infected-system',
        name: 'Infected System',
        description:
          'System infected with malware, e.g. PC, smartphone or server infected with a rootkit. Most often this refers to a connection to a sinkholed C2 server',
      },
      {
        value: 'c2-server',
        name: 'C2 Server',
        description: 'Command-and-control server contacted by malware on infected systems.',
      },
      {
        value: 'malware-distribution',
        name: 'Malware Distribution',
        description:
          'URI used for malware distribution, e.g. a download URL included in fake invoice malware spam or exploit-kits (on websites).',
      },
      {
        value: 'malware-configuration',
        name: 'Malware Configuration',
        description: 'URI hosting a malware configuration file, e.g. web-injects for a banking trojan.',
      },
    ],
  },
  {
    value: 'information-gathering',
    name: 'Information Gathering',
    description: 'Information Gathering.',
    types: [
      {
        value: 'scanner',
        name: 'Scanning',
        description:
          'Attacks that send requests to a system to discover weaknesses. This also includes testing processes to gather information on hosts, services and accounts. Examples: fingerd, DNS querying, ICMP, SMTP (EXPN, RCPT, ...), port scanning.',
      },
      {
        value: 'sniffing',
        name: 'Sniffing',
        description: 'Observing and recording of network traffic (wiretapping).',
      },
      {
        value: 'social-engineering',
        name: 'Social Engineering',
        description:
          'Gathering information from a human being in a non-technical way (e.g. lies, tricks, bribes, or threats).',
      },
    ],
  },
  {
    value: 'intrusion-attempts',
    name: 'Intrusion Attempts',
    description: 'Intrusion Attempts.',
    types: [
      {
        value: 'ids-alert',
        name: 'Exploitation of known Vulnerabilities',
        description:
          'An attempt to compromise a system or to disrupt any service by exploiting vulnerabilities with a standardised identifier such as CVE name (e.g. buffer overflow, backdoor, cross site scripting, etc.)',
      },
      {
        value: 'brute-force',
        name: 'Login attempts',
        description:
          'Multiple login attempts (Guessing / cracking of passwords, brute force). This IOC refers to a resource, which has been observed to perform brute-force attacks over a given application protocol.',
      },
      { value: 'exploit', name: 'New attack signature', description: 'An attack using an unknown exploit.' },
    ],
  },
  {
    value: 'intrusions',
    name: 'Intrusions',
    description:
      'A successful compromise of a system or application (service). This can have been caused remotely by a known or new vulnerability, but also by an unauthorised local access. Also includes being part of a botnet.',
    types: [
      {
        value: 'privileged-account-compromise',
        name: 'Privileged Account Compromise',
        description: 'Compromise of a system where the attacker gained administrative privileges.',
      },
      {
        value: 'unprivileged-account-compromise',
        name: 'Unprivileged Account Compromise',
        description: 'Compromise of a system using an unprivileged (user/service) account.',
      },
      {
        value: 'application-compromise',
        name: 'Application Compromise',
        description:
          'Compromise of an application by exploiting (un-)known software vulnerabilities, e.g. SQL injection.',
      },
      {
        value: 'system-compromise',
        name: 'System Compromise',
        description:
          'Compromise of a system, e.g. unauthorised logins or commands. This includes compromising attempts on honeypot systems.',
      },
      {
        value: 'burglary',
        name: 'Burglary',
        description: 'Physical intrusion, e.g. into corporate building or data-centre.',
      },
    ],
  },
  {
    value: 'availability',
    name: 'Availability',
    description:
      'By this kind of an attack a system is bombarded with so many packets that the operations are delayed or the system crashes. DoS examples are ICMP and SYN floods, Teardrop attacks and mail-bombing. DDoS often is based on DoS attacks originating from botnets, but also other scenarios exist like DNS Amplification attacks. However, the availability also can be affected by local actions (destruction, disruption of power supply, etc.) – or by Act of God, spontaneous failures or human error, without malice or gross neglect being involved.',
    types: [
      {
        value: 'dos',
        name: 'Denial of Service',
        description:
          'Denial of Service attack, e.g. sending specially crafted requests to a web application which causes the application to crash or slow down.',
      },
      {
        value: 'ddos',
        name: 'Distributed Denial of Service',
        description:
          'Distributed Denial of Service attack, e.g. SYN-Flood or UDP-based reflection/amplification attacks.',
      },
      {
        value: 'misconfiguration',
        name: 'Misconfiguration',
        description:
          'Software misconfiguration resulting in service availability issues, e.g. DNS server with outdated DNSSEC Root Zone KSK.',
      },
      {
        value: 'sabotage',
        name: 'Sabotage',
        description: 'Physical sabotage, e.g cutting wires or malicious arson.',
      },
      {
        value: 'outage',
        name: 'Outage',
        description: 'Outage caused e.g. by air condition failure or natural disaster.',
      },
    ],
  },
  {
    value: 'information-content-security',
    name: 'Information Content Security',
    description:
      'Besides a local abuse of data and systems the information security can be endangered by a successful account or application compromise. Furthermore attacks are possible that intercept and access information during transmission (wiretapping, spoofing or hijacking). Human/configuration/software error can also be the cause.',
    types: [
      {
        value: 'unauthorised-information-access',
        name: 'Unauthorised access to information',
        description:
          'Unauthorised access to information, e.g. by abusing stolen login credentials for a system or application, intercepting traffic or gaining access to physical documents.',
      },
      {
        value: 'unauthorised-information-modification',
        name: 'Unauthorised modification of information',
        description:
          'Unauthorised modification of information, e.g. by an attacker abusing stolen login credentials for a system or application or a ransomware encrypting data. Also includes defacements.',
      },
      {
        value: 'data-loss',
        name: 'Data Loss',
        description: 'Loss of data, e.g. caused by harddisk failure or physical theft.',
      },
      {
        value: 'data-leak',
        name: 'Leak of confidential information',
        description: 'Leaked confidential information like credentials or personal data.',
      },
    ],
  },
  {
    value: 'fraud',
    name: 'Fraud',
    description: 'Fraud.',
    types: [
      {
        value: 'unauthorised-use-of-resources',
        name: 'Unauthorised use of resources',
        description:
          'Using resources for unauthorised purposes including profit-making ventures, e.g. the use of e-mail to participate in illegal profit chain letters or pyramid schemes.',
      },
      {
        value: 'copyright',
        name: 'Copyright',
        description:
          'Offering or Installing copies of unlicensed commercial software or other copyright protected materials (Warez).',
      },
      {
        value: 'masquerade',
        name: 'Masquerade',
        description:
          'Type of attack in which one entity illegitimately impersonates the identity of another in order to benefit from it.',
      },
      {
        value: 'phishing',
        name: 'Phishing',
        description:
          'Masquerading as another entity in order to persuade the user to reveal private credentials. This IOC most often refers to a URL, which is used to phish user credentials.',
      },
    ],
  },
  {
    value: 'vulnerable',
    name: 'Vulnerable',
    description:
      'Open resolvers, world readable printers, vulnerability apparent from Nessus etc scans, virus signatures not up-to-date, etc',
    types: [
      {
        value: 'weak-crypto',
        name: 'Weak crypto',
        description:
          'Publicly accessible services offering weak crypto, e.g. web servers susceptible to POODLE/FREAK attacks.',
      },
      {
        value: 'ddos-amplifier',
        name: 'DDoS amplifier',
        description:
          'Publicly accessible services that can be abused for conducting DDoS reflection/amplification attacks, e.g. DNS open-resolvers or NTP servers with monlist enabled.',
      },
      {
        value: 'potentially-unwanted-accessible',
        name: 'Potentially unwanted accessible services',
        description: 'Potentially unwanted publicly accessible services, e.g. Telnet, RDP or VNC.',
      },
      {
        value: 'information-disclosure',
        name: 'Information disclosure',
        description:
          'Publicly accessible services potentially disclosing sensitive information, e.g. SNMP or Redis.',
      },
      {
        value: 'vulnerable-system',
        name: 'Vulnerable system',
        description:
          'A system which is vulnerable to certain attacks. Example: misconfigured client proxy settings (example: WPAD), outdated operating system version, XSS vulnerabilities, etc.',
      },
    ],
  },
  {
    value: 'other',
    name: 'Other',
    description:
      "All incidents which don't fit in one of the given categories should be put into this class. If the number of incidents in this category increases, it is an indicator that the classification scheme must be revised",
    types: [
      {
        value: 'other',
        name: 'Uncategorised',
        description:
          "All incidents which don't fit in one of the given categories should be put into this class or the incident is not categorised.",
      },
      {
        value: 'undetermined',
        name: 'Undetermined',
        description: 'The categorisation of the incident is unknown/undetermined.',
      },
    ],
  },
  {
    value: 'test',
    name: 'Test',
    description: 'Meant for testing.',
    types: [{ value: 'test', name: 'Test', description: 'Meant for testing.' }],
  },
]

/** The machine values of every RSIT class. */
export const RSIT_CLASS_VALUES: readonly string[] = RSIT_CLASSES.map((c) => c.value)

/** The RSIT class named `value`, if there is one. */
export function findRsitClass(value: string): RsitClass | undefined {
  return RSIT_CLASSES.find((c) => c.value === value)
}

/** True when `type` is an incident type of RSIT class `cls`. */
export function isRsitType(cls: string, type: string): boolean {
  return findRsitClass(cls)?.types.some((t) => t.value === type) ?? false
}

/** The machinetag of a classification, e.g. `rsit:malicious-code="c2-server"`. */
export function rsitMachineTag(cls: string, type: string): string {
  return `rsit:${cls}="${type}"`
}
