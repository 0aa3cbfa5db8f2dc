import { CORPUS_DIR } from '../../../test/helpers/corpus.js'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  equalityComparisons,
  formatPattern,
  objectPathText,
  parsePattern,
  type Comparison,
  type ComparisonExpression,
  type ObjectPath,
  type ObservationExpression,
  type OrderableConstant,
  type Pattern,
  type PatternConstant,
  type PatternResult,
  type Qualifier,
} from './pattern.js'

function parsed(pattern: string): Pattern {
  const result = parsePattern(pattern)
  if (!result.ok) {
    throw new Error(`${pattern}: ${result.error.message}`)
  }
  return result.ast
}

function failure(pattern: string): { message: string; offset: number } {
  const result = parsePattern(pattern)
  if (result.ok) {
    throw new Error(`${pattern} parsed, expected an error`)
  }
  return result.error
}

const SHA256 = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c'

/** Patterns from STIX 2.1 section 9, the implementer digest and the reference validator's suites. */
const VALID = [
  "[ipv4-addr:value = '198.51.100.1']",
  "[ ipv4-addr:value = '10.0.0.0' ]",
  `[file:hashes.'SHA-256' = '${SHA256}' AND file:size > 1000]`,
  "[file:hashes.MD5 = '44d88612fea8a8f36de82e1278abb02f' AND file:size > 1000]",
  "[ipv4-addr:value ISSUBSET '203.0.113.0/24']",
  "[ipv4-addr:value NOT ISSUBSET '192.168.0.1/24']",
  "[ipv6-addr:value ISSUPERSET '2001:db8::/32']",
  "[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']",
  "[ipv6-addr:value ISSUBSET '::ffff:192.0.2.0/120']",
  "[network-traffic:src_ref.value ISSUPERSET '198.51.100.7']",
  "[domain-name:resolves_to_refs[*].value ISSUBSET '198.51.100.0/24']",
  "[network-traffic:encapsulated_by_ref.dst_ref.value NOT ISSUBSET '10.0.0.0/8']",
  "[domain-name:value = 'bad.example' OR url:value LIKE 'http://bad.example/%']",
  "[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 443]",
  "([email-message:subject MATCHES '(?i)invoice'] FOLLOWEDBY [process:image_ref.name = 'powershell.exe']) WITHIN 900 SECONDS",
  "[user-account:account_login = 'admin'] REPEATS 5 TIMES START t'2024-03-01T00:00:00Z' STOP t'2024-03-02T00:00:00Z'",
  "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
  "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '203.0.113.33']",
  "[x-custom-obj:x_prop = 'v']",
  "[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']",
  "[file:hashes.'SHA-256' = 'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] AND [file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
  "([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) WITHIN 300 SECONDS",
  "[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND user-account:account_login = 'Peter'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1008' AND user-account:account_login = 'Paul']",
  "[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES '\\\\xd4\\\\xc3\\\\xb2\\\\xa1\\\\x02\\\\x00\\\\x04\\\\x00']",
  "[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\\\Windows\\\\System32']",
  "[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']",
  "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS",
  "[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']",
  "[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']",
  "[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = '4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']",
  "[windows-registry-key:key = 'HKEY_CURRENT_USER\\\\Software\\\\CryptoLocker\\\\Files' OR windows-registry-key:key = 'HKEY_CURRENT_USER\\\\Software\\\\Microsoft\\\\CurrentVersion\\\\Run\\\\CryptoLocker_0388']",
  "[(file:name = 'pdf.exe' OR file:size = '371712') AND file:created = t'2014-01-13T07:03:17Z']",
  "[email-message:sender_ref.value = 'jdoe@example.com' AND email-message:subject = 'Conference Info']",
  "[x-usb-device:usbdrive.serial_number = '575833314133343231313937']",
  "[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] FOLLOWEDBY [process:command_line MATCHES'^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] WITHIN 300 SECONDS",
  "([file:name = 'foo.dll'] AND [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) OR [process:name = 'fooproc' OR process:name = 'procfoo']",
  '[file:size = 1280]',
  '[file:size != 1280]',
  '[file:size < 1024]',
  '[file:size <= 1024]',
  '[file:size >= 1024]',
  '[file:size NOT > 1024]',
  "[file:name NOT = 'x']",
  "[file:name IN ('test.txt', 'test2.exe', 'README')]",
  '[file:size IN (1024, 2048, 4096)]',
  '[file:size NOT IN (1, -2, +3, 4.5, -.5)]',
  '[file:name IN ()]',
  "[file:name LIKE 'name%' AND file:name NOT LIKE '%.tmp']",
  "[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']",
  "[artifact:payload_bin = b'YWI=' OR artifact:payload_bin = b'YQ==' OR artifact:payload_bin = b'YWJj']",
  "[file:magic_number_hex = h'']",
  '[foo-bar:bar=1] REPEATS 9 TIMES',
  '( [(network-traffic:dst_port IN(443,6443,8443) AND network-traffic:src_packets != 0) ])',
  "([windows-registry-key:key = 'a'] REPEATS 2 TIMES) REPEATS 2 TIMES",
  "([windows-registry-key:key = 'a']) WITHIN 5 SECONDS",
  "[ipv4-addr:value = '192.168.122.83'] START t'2016-06-01T03:55:00.123Z' STOP t'2016-06-01T04:30:24.743Z'",
  "[ipv4-addr:value = '1.2.3.4'] START t'2016-06-01T00:00:00.1Z' STOP t'2016-06-01T00:00:00.100001Z'",
  "[file:created > t'2020-02-29T23:59:60.999999999Z']",
  '[file:x_flag = true OR file:x_flag = false]',
  '[file:size > 9007199254740991]',
  '[EXISTS windows-registry-key:values[*].data AND NOT EXISTS windows-registry-key:creator_user_ref]',
  "[process:arguments[0] = '-enc' AND process:arguments[-1] LIKE '%.ps1']",
  "[file:'name' = 'quoted first property']",
  "[file:hashes.'SHA-256' = 'a' OR file:hashes . MD5 = 'b' OR file : name = 'c']",
  "[file:x_ext.'key with \\' quote and \\\\ backslash' = 1]",
  "[a-b:c = 'x'] AND [abc:d = 'y'] OR [abc:e = 'z'] FOLLOWEDBY [abc:f = 'w']",
  "[ipv4-addr:value = '1.2.3.4'] WITHIN 2.5 SECONDS",
  "[file:name = 'a']AND[file:name = 'b']",
  "[file:name == 'legacy equals' AND file:size <> 0]",
  "[file:name = 'a'] /* block comment */ AND // line comment\n [file:name = 'b']",
  "\u00a0[file:name\u2003=\u3000'unicode spaces']\n",
  "[url:value = 'http://example.com/%20//not-a-comment']",
  "[domain-name:value = 'www.webserver.dynssl.com' OR ipv4-addr:value = '113.10.246.30']",
  "[(domain-name:value = 'x.example' OR ipv4-addr:value = '198.51.100.1') OR url:value = 'http://x.example/']",
]

const ERROR_CASES: { pattern: string; message: string; offset: number }[] = [
  { pattern: '', message: 'empty pattern at offset 0', offset: 0 },
  { pattern: '   \n ', message: 'empty pattern at offset 5', offset: 5 },
  { pattern: "[file:name = 'a'", message: "expected ']' at offset 16", offset: 16 },
  { pattern: "[file:name = 'a']]", message: "unexpected ']' at offset 17", offset: 17 },
  { pattern: "([file:name = 'a']", message: "expected ')' at offset 18", offset: 18 },
  { pattern: "[file:name = 'a'])", message: "unexpected ')' at offset 17", offset: 17 },
  { pattern: "[(file:name = 'a']", message: "expected ')' but found ']' at offset 17", offset: 17 },
  { pattern: 'file:size = 1280', message: 'must be enclosed in square brackets at offset 0', offset: 0 },
  { pattern: '[file:size = ]', message: "expected a constant but found ']' at offset 13", offset: 13 },
  { pattern: "[file:name = 'abc]", message: 'unterminated string at offset 13', offset: 13 },
  {
    pattern: '[file:hashes.MD5 = cead3f77f6cda6ec00f57d76c9a6879f]',
    message:
      "expected a constant but found 'cead3f77f6cda6ec00f57d76c9a6879f' at offset 19 (strings are in single quotes)",
    offset: 19,
  },
  { pattern: "[file:name = 'a\\x']", message: "invalid escape '\\x' in string at offset 15", offset: 15 },
  { pattern: "[file:name = 'a\\", message: 'unterminated string at offset 13', offset: 13 },
  {
    pattern: "[file:name = 'a' and file:size = 1]",
    message: "expected ']' but found 'and' at offset 17 (keywords are upper-case: AND)",
    offset: 17,
  },
  {
    pattern: "[file:name = 'a'] or [file:name = 'b']",
    message: "unexpected 'or' at offset 18 (keywords are upper-case: OR)",
    offset: 18,
  },
  {
    pattern: "[file:name like 'a%']",
    message: "unknown comparison operator 'like' at offset 11 (keywords are upper-case: LIKE)",
    offset: 11,
  },
  {
    pattern: "[file:name EQUALS 'a']",
    message: "unknown comparison operator 'EQUALS' at offset 11",
    offset: 11,
  },
  {
    pattern: "[file:hashes.MD5 =? 'a']",
    message: "expected a constant but found '?' at offset 18",
    offset: 18,
  },
  { pattern: "[file:name ~ 'a']", message: "unknown comparison operator '~' at offset 11", offset: 11 },
  {
    pattern: '[file:name]',
    message: "expected a comparison operator but found ']' at offset 10",
    offset: 10,
  },
  {
    pattern: '[file.size = 1280]',
    message: "expected ':' after the object type 'file' but found '.' at offset 5",
    offset: 5,
  },
  {
    pattern: '[x_whatever:detected = 1]',
    message: "invalid object type 'x_whatever' at offset 1",
    offset: 1,
  },
  { pattern: '[ab:c = 1]', message: "invalid object type 'ab' at offset 1", offset: 1 },
  { pattern: "[File:name = 'a']", message: "invalid object type 'File' at offset 1", offset: 1 },
  { pattern: "[x--y:name = 'a']", message: "invalid object type 'x--y' at offset 1", offset: 1 },
  { pattern: `[${'a'.repeat(251)}:name = 'a']`, message: 'invalid object type', offset: 1 },
  { pattern: "[file:Name = 'a']", message: "invalid property name 'Name' at offset 6", offset: 6 },
  {
    pattern: '[file:extensions.windows-pebinary-ext.sections[*].entropy > 7.0]',
    message: "property name 'windows-pebinary-ext' must be quoted at offset 17",
    offset: 17,
  },
  {
    pattern: "[file:hashes.1x = 'a']",
    message: "property name '1x' must be quoted at offset 13",
    offset: 13,
  },
  { pattern: "[file:hashes.'' = 'a']", message: 'empty property name at offset 13', offset: 13 },
  {
    pattern: "[file:hashes. = 'a']",
    message: "expected a property name but found '=' at offset 14",
    offset: 14,
  },
  {
    pattern: "[file:names[x] = 'a']",
    message: "expected a list index (a number or '*') but found 'x' at offset 12",
    offset: 12,
  },
  {
    pattern: "[file:names[1.5] = 'a']",
    message: "list index must be an integer or '*', found '1.5' at offset 12",
    offset: 12,
  },
  {
    pattern: "[file:names[1 = 'a']",
    message: "expected ']' to close the list index but found '=' at offset 14",
    offset: 14,
  },
  {
    pattern: "[file:name IN 'a']",
    message: 'IN needs a parenthesised list of constants at offset 14',
    offset: 14,
  },
  {
    pattern: "[file:name IN ('a' 'b')]",
    message: "expected ',' or ')' in the IN list but found a string at offset 19",
    offset: 19,
  },
  { pattern: "[file:name IN ('a',)]", message: "expected a constant but found ')' at offset 19", offset: 19 },
  {
    pattern: '[file:name LIKE 5]',
    message: 'LIKE needs a string constant, found a integer at offset 16',
    offset: 16,
  },
  {
    pattern: '[file:name MATCHES /.*\\.dll/]',
    message: "expected a constant but found '/' at offset 19",
    offset: 19,
  },
  {
    pattern: "[ipv4-addr:value ISSUBSET 'not-an-ip']",
    message: "ISSUBSET needs an IP address or CIDR range, found 'not-an-ip' at offset 26",
    offset: 26,
  },
  {
    pattern: "[ipv4-addr:value ISSUBSET '10.0.0.0/33']",
    message: 'ISSUBSET needs an IP address',
    offset: 26,
  },
  {
    pattern: "[ipv6-addr:value ISSUPERSET '1::2::3']",
    message: 'ISSUPERSET needs an IP address',
    offset: 28,
  },
  {
    pattern: "[file:name ISSUBSET '10.0.0.0/8']",
    message:
      "ISSUBSET compares IP addresses, not 'file:name' at offset 11 (use ipv4-addr:value, ipv6-addr:value or a reference to one, e.g. network-traffic:dst_ref.value)",
    offset: 11,
  },
  {
    pattern: "[domain-name:value NOT ISSUPERSET '10.0.0.1']",
    message: "ISSUPERSET compares IP addresses, not 'domain-name:value' at offset 23",
    offset: 23,
  },
  {
    pattern: "[ipv4-addr:resolves_to_refs[*].value ISSUBSET '10.0.0.0/8']",
    message: "ISSUBSET compares IP addresses, not 'ipv4-addr:resolves_to_refs[*].value'",
    offset: 37,
  },
  {
    pattern: "[email-message:from_ref.value ISSUBSET '10.0.0.0/8']",
    message: "ISSUBSET compares IP addresses, not 'email-message:from_ref.value'",
    offset: 30,
  },
  {
    pattern: "[ipv4-addr:value[0] ISSUBSET '10.0.0.0/8']",
    message: "ISSUBSET compares IP addresses, not 'ipv4-addr:value[0]'",
    offset: 20,
  },
  {
    pattern: "[x-acme-flow:value ISSUBSET '10.0.0.0/8']",
    message: "ISSUBSET compares IP addresses, not 'x-acme-flow:value'",
    offset: 19,
  },
  {
    pattern: '[network-traffic:dst_ref.value ISSUBSET ]',
    message: "expected a constant but found ']' at offset 40",
    offset: 40,
  },
  { pattern: '[file:x_flag > true]', message: "operator '>' cannot order booleans at offset 15", offset: 15 },
  {
    pattern: '[file:x_flag = TRUE]',
    message: "expected a constant but found 'TRUE' at offset 15 (booleans are lower-case: true)",
    offset: 15,
  },
  {
    pattern: '[file:size = 007]',
    message: "invalid number '007' at offset 13 (integers have no leading zeros)",
    offset: 13,
  },
  { pattern: '[file:size = 1e5]', message: "invalid number '1e5' at offset 13", offset: 13 },
  { pattern: '[file:size = 1.]', message: "invalid number '1.' at offset 13", offset: 13 },
  {
    pattern: '[file:size = 99999999999999999999]',
    message: "integer out of range '99999999999999999999' at offset 13",
    offset: 13,
  },
  {
    pattern: "[file:created = t'2020-13-01T00:00:00Z']",
    message: "invalid timestamp t'2020-13-01T00:00:00Z' at offset 16",
    offset: 16,
  },
  {
    pattern: "[file:created = t'2021-02-29T00:00:00Z']",
    message: "invalid timestamp t'2021-02-29T00:00:00Z'",
    offset: 16,
  },
  { pattern: "[file:created = t'2020-01-01T24:00:00Z']", message: 'invalid timestamp', offset: 16 },
  { pattern: "[file:created = t'2020-01-01T00:00:00+00:00']", message: 'invalid timestamp', offset: 16 },
  { pattern: "[file:created = t'2020-01-01T00:00:00.Z']", message: 'invalid timestamp', offset: 16 },
  { pattern: "[file:created = t'2020-01-01 00:00:00Z']", message: 'invalid timestamp', offset: 16 },
  { pattern: "[x-whatever:detected = t'2457-73-22T32:81:84.1Z']", message: 'invalid timestamp', offset: 23 },
  {
    pattern: "[file:created = t'2020-01-01T00:00:00Z]",
    message: 'unterminated timestamp at offset 16',
    offset: 16,
  },
  { pattern: "[artifact:payload_bin = b'====']", message: "invalid base64 constant b'===='", offset: 24 },
  { pattern: "[artifact:payload_bin = b'abc']", message: "invalid base64 constant b'abc'", offset: 24 },
  { pattern: "[artifact:payload_bin = b'a=bc']", message: "invalid base64 constant b'a=bc'", offset: 24 },
  { pattern: "[artifact:payload_bin = b'']", message: "invalid base64 constant b''", offset: 24 },
  { pattern: "[file:magic_number_hex = h'ffd']", message: "invalid hex constant h'ffd'", offset: 25 },
  { pattern: "[file:magic_number_hex = h'zz']", message: "invalid hex constant h'zz'", offset: 25 },
  {
    pattern: "[file:name = 'a'] WITHIN 0 SECONDS",
    message: "WITHIN needs a positive number of seconds, found '0' at offset 25",
    offset: 25,
  },
  { pattern: "[file:name = 'a'] WITHIN -5 SECONDS", message: 'WITHIN needs a positive number', offset: 25 },
  {
    pattern: "[file:name = 'a'] WITHIN 5 HOURS",
    message: "expected 'SECONDS' but found 'HOURS' at offset 27",
    offset: 27,
  },
  {
    pattern: "[file:name = 'a'] WITHIN ]",
    message: "expected a number of seconds after WITHIN but found ']' at offset 25",
    offset: 25,
  },
  {
    pattern: "[file:name = 'a'] REPEATS 0 TIMES",
    message: "REPEATS needs a positive integer, found '0' at offset 26",
    offset: 26,
  },
  {
    pattern: "[file:name = 'a'] REPEATS 1.5 TIMES",
    message: "REPEATS needs a positive integer, found '1.5'",
    offset: 26,
  },
  {
    pattern: "[file:name = 'a'] WITHIN 5 SECONDS WITHIN 6 SECONDS",
    message: 'duplicate WITHIN qualifier at offset 35',
    offset: 35,
  },
  {
    pattern: "([file:name = 'a'] REPEATS 2 TIMES REPEATS 3 TIMES)",
    message: 'duplicate REPEATS qualifier at offset 35',
    offset: 35,
  },
  {
    pattern:
      "[file:name = 'a'] START t'2016-06-01T01:30:00Z' STOP t'2016-06-01T02:20:00Z' START t'2016-06-01T01:30:00Z' STOP t'2016-06-01T02:20:00Z'",
    message: 'duplicate START qualifier',
    offset: 77,
  },
  {
    pattern: "[file:name = 'a'] START t'2024-03-02T00:00:00Z' STOP t'2024-03-01T00:00:00Z'",
    message: "START t'2024-03-02T00:00:00Z' must be earlier than STOP t'2024-03-01T00:00:00Z' at offset 18",
    offset: 18,
  },
  {
    pattern: "[file:name = 'a'] START t'2024-03-01T00:00:00.5Z' STOP t'2024-03-01T00:00:00.50Z'",
    message: 'must be earlier than STOP',
    offset: 18,
  },
  {
    pattern: "[file:name = 'a'] START '2024-03-01T00:00:00Z'",
    message: "expected a timestamp (t'…') after START",
    offset: 24,
  },
  {
    pattern: "[file:name = 'a'] START t'2024-03-01T00:00:00Z' t'2024-03-02T00:00:00Z'",
    message: "expected 'STOP' but found 't' at offset 48",
    offset: 48,
  },
  {
    pattern: "WITHIN 5 SECONDS [file:name = 'a']",
    message: 'observation qualifiers must follow an observation expression at offset 0',
    offset: 0,
  },
  {
    pattern: "[file:name = 'a'] AND REPEATS 2 TIMES",
    message: 'observation qualifiers must follow an observation expression at offset 22',
    offset: 22,
  },
  {
    pattern: "[file:name = 'a' AND process:name = 'b']",
    message:
      "comparisons joined by AND must use the same object type, found 'file' and 'process' at offset 21",
    offset: 21,
  },
  {
    pattern: "[file:name = 'a' AND (file:size = 1 OR process:pid = 2)]",
    message:
      "comparisons joined by AND must use the same object type, found 'file' and 'process' at offset 21",
    offset: 21,
  },
  {
    pattern: "[(file:name = 'a' OR process:name = 'b') AND file:size = 1]",
    message:
      "comparisons joined by AND must use the same object type, found 'file' and 'process' at offset 41",
    offset: 41,
  },
  {
    pattern: "[network-traffic:src_port = 37020 AND user-account:user_id = 'root']",
    message: 'must use the same object type',
    offset: 38,
  },
  {
    pattern: "[file:name = 'a'] AND",
    message: "expected an observation expression ('[' or '(') at offset 21",
    offset: 21,
  },
  {
    pattern: "[file:name = 'a'] FOLLOWEDBY",
    message: "expected an observation expression ('[' or '(') at offset 28",
    offset: 28,
  },
  {
    pattern: "[file:name = 'a' OR]",
    message: "expected a comparison expression but found ']' at offset 19",
    offset: 19,
  },
  { pattern: '[]', message: "expected a comparison expression but found ']' at offset 1", offset: 1 },
  {
    pattern: '()',
    message: "expected an observation expression ('[' or '(') but found ')' at offset 1",
    offset: 1,
  },
  { pattern: "[NOT file:name = 'a']", message: 'NOT goes after the object path at offset 1', offset: 1 },
  {
    pattern: "[file:name NOT NOT = 'a']",
    message: 'NOT may appear only once in a comparison at offset 15',
    offset: 15,
  },
  { pattern: '[file:name EXISTS]', message: 'EXISTS goes before the object path at offset 11', offset: 11 },
  {
    pattern: '[exists file:name]',
    message: "unexpected 'exists' at offset 1 (keywords are upper-case: EXISTS)",
    offset: 1,
  },
  {
    pattern: "[file:name = 'a'] within 2 seconds",
    message: "unexpected 'within' at offset 18 (keywords are upper-case: WITHIN)",
    offset: 18,
  },
  {
    pattern: "[file:name = 'a'] [file:name = 'b']",
    message:
      "unexpected '[' at offset 18 (expected AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern)",
    offset: 18,
  },
  { pattern: "[file:name = 'a'] garbage", message: "unexpected 'garbage' at offset 18", offset: 18 },
  { pattern: "[file:name = 'a'] /* unterminated", message: 'unterminated comment at offset 18', offset: 18 },
]

describe('parsePattern', () => {
  it.each(VALID)('accepts %s', (pattern) => {
    const result = parsePattern(pattern)
    expect(result.ok ? 'ok' : result.error.message).toBe('ok')
  })

  it.each(ERROR_CASES)('rejects $pattern', ({ pattern, message, offset }) => {
    const error = failure(pattern)
    expect(error.message).toContain(message)
    expect(error.offset).toBe(offset)
  })

  it('builds the tree of a simple comparison', () => {
    expect(parsed("[ipv4-addr:value = '198.51.100.1']")).toEqual({
      kind: 'pattern',
      expression: {
        kind: 'observation',
        comparison: {
          kind: 'comparison',
          operator: '=',
          negated: false,
          path: { objectType: 'ipv4-addr', steps: [{ kind: 'property', name: 'value' }] },
          value: { kind: 'string', value: '198.51.100.1' },
        },
      },
    })
  })

  it('reads paths with quoted keys, extensions and list indexes', () => {
    const ast = parsed(
      "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0 AND file:x[0].'a.b' = 1]",
    )
    const expression = ast.expression
    if (expression.kind !== 'observation' || expression.comparison.kind !== 'comparison-operation') {
      throw new Error('expected an AND of comparisons')
    }
    const [first, second] = expression.comparison.operands
    expect(first).toMatchObject({
      operator: '>',
      value: { kind: 'float', value: 7 },
      path: {
        objectType: 'file',
        steps: [
          { kind: 'property', name: 'extensions' },
          { kind: 'property', name: 'windows-pebinary-ext' },
          { kind: 'property', name: 'sections' },
          { kind: 'index', index: '*' },
          { kind: 'property', name: 'entropy' },
        ],
      },
    })
    expect(second).toMatchObject({
      path: { steps: [{ name: 'x' }, { kind: 'index', index: 0 }, { kind: 'property', name: 'a.b' }] },
    })
  })

  it('unescapes strings and keeps every constant kind', () => {
    const ast = parsed(
      "[file:a = 'it\\'s a \\\\ path' OR file:b = -12 OR file:c = .5 OR file:d = true OR file:e = t'2020-01-01T00:00:00.123456Z' OR file:f = h'0A1b' OR file:g = b'YQ==']",
    )
    const expression = ast.expression
    if (expression.kind !== 'observation' || expression.comparison.kind !== 'comparison-operation') {
      throw new Error('expected an OR of comparisons')
    }
    const values = expression.comparison.operands.map((operand) =>
      operand.kind === 'comparison' && operand.operator === '=' ? operand.value : null,
    )
    expect(values).toEqual([
      { kind: 'string', value: "it's a \\ path" },
      { kind: 'integer', value: -12 },
      { kind: 'float', value: 0.5 },
      { kind: 'boolean', value: true },
      { kind: 'timestamp', value: '2020-01-01T00:00:00.123456Z' },
      { kind: 'hex', value: '0A1b' },
      { kind: 'binary', value: 'YQ==' },
    ])
  })

  it('gives AND precedence over OR over FOLLOWEDBY, left to right', () => {
    const ast = parsed(
      '[a-a:x = 1] FOLLOWEDBY [b-b:x = 1] OR [c-c:x = 1] AND [d-d:x = 1] FOLLOWEDBY [e-e:x = 1]',
    )
    const shape = (expression: ObservationExpression): unknown => {
      if (expression.kind === 'observation') {
        return expression.comparison.kind === 'comparison' ? expression.comparison.path.objectType : '?'
      }
      if (expression.kind === 'qualified') {
        return shape(expression.expression)
      }
      return { [expression.operator]: expression.operands.map(shape) }
    }
    expect(shape(ast.expression)).toEqual({
      FOLLOWEDBY: ['a-a', { OR: ['b-b', { AND: ['c-c', 'd-d'] }] }, 'e-e'],
    })
    const comparisons = parsed('[abc:a = 1 OR abc:b = 2 AND abc:c = 3]').expression
    expect(comparisons).toMatchObject({
      comparison: { operator: 'OR', operands: [{ operator: '=' }, { operator: 'AND' }] },
    })
  })

  it('binds qualifiers to the nearest observation expression', () => {
    const ast = parsed('[abc:a = 1] AND [abc:b = 2] WITHIN 5 SECONDS REPEATS 2 TIMES')
    expect(ast.expression).toMatchObject({
      kind: 'observation-operation',
      operator: 'AND',
      operands: [
        { kind: 'observation' },
        {
          kind: 'qualified',
          qualifier: { kind: 'repeats', times: 2 },
          expression: { kind: 'qualified', qualifier: { kind: 'within', seconds: 5 } },
        },
      ],
    })
    expect(parsed('([abc:a = 1] AND [abc:b = 2]) WITHIN 5 SECONDS').expression).toMatchObject({
      kind: 'qualified',
      expression: { kind: 'observation-operation', operator: 'AND' },
    })
  })

  it('lets OR mix object types and AND join one type through parentheses', () => {
    expect(parsePattern("[(file:name = 'a' OR file:size = 1) AND file:x_y = 2]").ok).toBe(true)
    expect(parsePattern("[(file:name = 'a' OR process:name = 'b') OR url:value = 'c']").ok).toBe(true)
    expect(parsePattern("[file:name = 'a' AND (process:name = 'b')]").ok).toBe(false)
  })

  it('never throws on hostile input', () => {
    const deep = '('.repeat(100_000)
    expect(failure(deep).message).toContain('parentheses nested more than 200 deep')
    expect(failure(`[${deep}`).message).toContain('parentheses nested more than 200 deep')
    expect(
      parsePattern(`${'('.repeat(150)}[${'('.repeat(40)}file:size = 1${')'.repeat(40)}]${')'.repeat(150)}`)
        .ok,
    ).toBe(true)
    const wide = `[${Array.from({ length: 20_000 }, (_, i) => `file:size = ${i}`).join(' OR ')}]`
    expect(parsePattern(wide).ok).toBe(true)
    const chain = Array.from({ length: 5_000 }, (_, i) => `[file:size = ${i}]`).join(' FOLLOWEDBY ')
    expect(parsePattern(chain).ok).toBe(true)
    expect(failure(`[file:name = '${'x'.repeat(1_000_000)}`).message).toBe(
      "unterminated string at offset 13 (missing closing ')",
    )
    // A caller outside TypeScript may pass anything.
    const notAString = 42 as unknown as string
    expect(parsePattern(notAString).ok).toBe(false)
  })
})

describe('equalityComparisons', () => {
  it('lists every = comparison with its type and dotted path', () => {
    const ast = parsed(`[file:hashes.'SHA-256' = '${SHA256}' AND file:size > 1000 AND file:name != 'x']`)
    expect(equalityComparisons(ast)).toEqual([
      { objectType: 'file', path: 'hashes.SHA-256', value: SHA256, negated: false },
    ])
  })

  it('expands IN lists, marks NOT and walks every observation', () => {
    const ast = parsed(
      "([ipv4-addr:value IN ('198.51.100.1', '198.51.100.2')] OR [domain-name:value NOT = 'ok.example']) FOLLOWEDBY [email-message:to_refs[*].value = 'a@example.com' AND email-message:x_n NOT IN (1, true)] WITHIN 60 SECONDS",
    )
    expect(equalityComparisons(ast)).toEqual([
      { objectType: 'ipv4-addr', path: 'value', value: '198.51.100.1', negated: false },
      { objectType: 'ipv4-addr', path: 'value', value: '198.51.100.2', negated: false },
      { objectType: 'domain-name', path: 'value', value: 'ok.example', negated: true },
      { objectType: 'email-message', path: 'to_refs[*].value', value: 'a@example.com', negated: false },
      { objectType: 'email-message', path: 'x_n', value: 1, negated: true },
      { objectType: 'email-message', path: 'x_n', value: true, negated: true },
    ])
  })

  it('gives typed constants as their text and ignores other operators', () => {
    const ast = parsed(
      "[file:magic_number_hex = h'ffd8' AND file:ctime = t'2020-01-01T00:00:00Z' AND file:name LIKE 'a%' AND EXISTS file:size]",
    )
    expect(equalityComparisons(ast).map((equality) => equality.value)).toEqual([
      'ffd8',
      '2020-01-01T00:00:00Z',
    ])
    expect(equalityComparisons(parsed("[network-traffic:dst_ref.value ISSUBSET '10.0.0.0/8']"))).toEqual([])
  })

  it('joins path steps without quotes', () => {
    const path: ObjectPath = {
      objectType: 'file',
      steps: [
        { kind: 'property', name: 'extensions' },
        { kind: 'property', name: 'windows-pebinary-ext' },
        { kind: 'property', name: 'sections' },
        { kind: 'index', index: 2 },
      ],
    }
    expect(objectPathText(path)).toBe('extensions.windows-pebinary-ext.sections[2]')
  })
})

describe('formatPattern', () => {
  it('writes canonical text', () => {
    const cases: [string, string][] = [
      ["[ file:hashes.'MD5'='ab'  AND file:size>+10 ]", "[file:hashes.MD5 = 'ab' AND file:size > 10]"],
      ["[file:'name' == 'a' OR file:size <> 1.50]", "[file:name = 'a' OR file:size != 1.5]"],
      ['[file:x IN(1,2)]', '[file:x IN (1, 2)]'],
      ['(([abc:a = 1]))', '[abc:a = 1]'],
      ['[abc:a = 1] AND ([abc:b = 1] AND [abc:c = 1])', '[abc:a = 1] AND ([abc:b = 1] AND [abc:c = 1])'],
      ['([abc:a = 1] OR [abc:b = 1]) AND [abc:c = 1]', '([abc:a = 1] OR [abc:b = 1]) AND [abc:c = 1]'],
      ['[abc:a = 1] OR ([abc:b = 1] AND [abc:c = 1])', '[abc:a = 1] OR [abc:b = 1] AND [abc:c = 1]'],
      ['[(abc:a = 1 OR abc:b = 1) AND abc:c = 1]', '[(abc:a = 1 OR abc:b = 1) AND abc:c = 1]'],
      ['([abc:a = 1] WITHIN 5 SECONDS) WITHIN 6 SECONDS', '([abc:a = 1] WITHIN 5 SECONDS) WITHIN 6 SECONDS'],
      ['([abc:a = 1] WITHIN 5 SECONDS) REPEATS 2 TIMES', '[abc:a = 1] WITHIN 5 SECONDS REPEATS 2 TIMES'],
      ["[abc:a NOT IN ('x') AND NOT EXISTS abc:b]", "[abc:a NOT IN ('x') AND NOT EXISTS abc:b]"],
      ["[abc:a = 'it\\'s \\\\']", "[abc:a = 'it\\'s \\\\']"],
      [
        "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
        "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
      ],
      [
        '[abc:a = 0.0000001 OR abc:a = 100000000000000000000000.0]',
        '[abc:a = 0.0000001 OR abc:a = 100000000000000000000000.0]',
      ],
      ['[abc:a = -0]', '[abc:a = 0]'],
    ]
    for (const [input, canonical] of cases) {
      expect(formatPattern(parsed(input))).toBe(canonical)
    }
  })

  it('round-trips every valid example', () => {
    for (const pattern of VALID) {
      const ast = parsed(pattern)
      const text = formatPattern(ast)
      expect(parsePattern(text)).toEqual({ ok: true, ast })
      expect(formatPattern(parsed(text))).toBe(text)
    }
  })
})

// Generated trees: every comparison inside one observation uses one object type, so AND stays valid.
const objectTypeArb = fc.constantFrom('file', 'ipv4-addr', 'x-custom-obj', 'network-traffic', 'a1-b2')
const nameArb = fc.oneof(
  fc.constantFrom(
    'name',
    'value',
    'hashes',
    'x_prop',
    'SHA-256',
    'windows-pebinary-ext',
    'AND',
    'true',
    "it's",
  ),
  fc.string({ minLength: 1, maxLength: 6 }),
)
const stepsArb = fc
  .tuple(
    nameArb,
    fc.array(
      fc.oneof(
        nameArb.map((name) => ({ kind: 'property' as const, name })),
        fc
          .oneof(fc.integer({ min: -3, max: 99 }), fc.constant('*' as const))
          .map((index) => ({ kind: 'index' as const, index })),
      ),
      { maxLength: 3 },
    ),
  )
  .map(([first, rest]) => [{ kind: 'property' as const, name: first }, ...rest])
const timestampArb = fc
  .tuple(
    fc.date({
      min: new Date('0001-01-01T00:00:00Z'),
      max: new Date('9999-12-31T23:59:59Z'),
      noInvalidDate: true,
    }),
    fc.boolean(),
  )
  .map(([date, keepFraction]) => {
    const text = date.toISOString()
    return keepFraction ? text : `${text.slice(0, 19)}Z`
  })
const constantArb: fc.Arbitrary<PatternConstant> = fc.oneof(
  fc.string().map((value) => ({ kind: 'string' as const, value })),
  fc.maxSafeInteger().map((value) => ({ kind: 'integer' as const, value })),
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .map((value) => ({ kind: 'float' as const, value: value === 0 ? 0 : value })),
  fc.boolean().map((value) => ({ kind: 'boolean' as const, value })),
  timestampArb.map((value) => ({ kind: 'timestamp' as const, value })),
  fc
    .uint8Array({ maxLength: 8 })
    .map((bytes) => ({ kind: 'hex' as const, value: Buffer.from(bytes).toString('hex') })),
  fc
    .uint8Array({ minLength: 1, maxLength: 8 })
    .map((bytes) => ({ kind: 'binary' as const, value: Buffer.from(bytes).toString('base64') })),
)
const cidrArb = fc
  .tuple(fc.oneof(fc.ipV4(), fc.ipV6()), fc.option(fc.integer({ min: 0, max: 32 })))
  .map(([ip, prefix]) => (prefix === null ? ip : `${ip}/${prefix}`))

/** The paths of `objectType` that ISSUBSET and ISSUPERSET accept: IP address values. */
function ipPathArbs(objectType: string): fc.Arbitrary<ObjectPath>[] {
  const value = { kind: 'property' as const, name: 'value' }
  if (objectType === 'ipv4-addr') {
    return [fc.constant({ objectType, steps: [value] })]
  }
  if (objectType === 'network-traffic') {
    return [
      fc
        .constantFrom('src_ref', 'dst_ref')
        .map((name) => ({ objectType, steps: [{ kind: 'property' as const, name }, value] })),
    ]
  }
  return []
}

function comparisonArb(objectType: string): fc.Arbitrary<Comparison> {
  const pathArb = stepsArb.map((steps) => ({ objectType, steps }))
  return fc.oneof(
    fc.record({
      kind: fc.constant('comparison' as const),
      path: pathArb,
      negated: fc.boolean(),
      operator: fc.constantFrom('=' as const, '!=' as const),
      value: constantArb,
    }),
    fc.record({
      kind: fc.constant('comparison' as const),
      path: pathArb,
      negated: fc.boolean(),
      operator: fc.constantFrom('<' as const, '<=' as const, '>' as const, '>=' as const),
      value: constantArb.filter((value): value is OrderableConstant => value.kind !== 'boolean'),
    }),
    fc.record({
      kind: fc.constant('comparison' as const),
      path: pathArb,
      negated: fc.boolean(),
      operator: fc.constant('IN' as const),
      values: fc.array(constantArb, { maxLength: 4 }),
    }),
    fc.record({
      kind: fc.constant('comparison' as const),
      path: pathArb,
      negated: fc.boolean(),
      operator: fc.constantFrom('LIKE' as const, 'MATCHES' as const),
      value: fc.string().map((value) => ({ kind: 'string' as const, value })),
    }),
    ...ipPathArbs(objectType).map((ipPathArb) =>
      fc.record({
        kind: fc.constant('comparison' as const),
        path: ipPathArb,
        negated: fc.boolean(),
        operator: fc.constantFrom('ISSUBSET' as const, 'ISSUPERSET' as const),
        value: cidrArb.map((value) => ({ kind: 'string' as const, value })),
      }),
    ),
    fc.record({
      kind: fc.constant('comparison' as const),
      path: pathArb,
      negated: fc.boolean(),
      operator: fc.constant('EXISTS' as const),
    }),
  )
}

function comparisonExpressionArb(objectType: string): fc.Arbitrary<ComparisonExpression> {
  const { tree } = fc.letrec<{ tree: ComparisonExpression }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      comparisonArb(objectType),
      fc.record({
        kind: fc.constant('comparison-operation' as const),
        operator: fc.constantFrom('AND' as const, 'OR' as const),
        operands: fc.array(tie('tree'), { minLength: 2, maxLength: 3 }),
      }),
    ),
  }))
  return tree
}

const qualifierArb: fc.Arbitrary<Qualifier> = fc.oneof(
  fc
    .oneof(fc.integer({ min: 1, max: 1_000_000 }), fc.double({ min: 0.001, max: 1e6, noNaN: true }))
    .map((seconds) => ({ kind: 'within' as const, seconds })),
  fc.integer({ min: 1, max: 1000 }).map((times) => ({ kind: 'repeats' as const, times })),
  fc
    .uniqueArray(timestampArb, { minLength: 2, maxLength: 2 })
    .filter(([a = '', b = '']) => new Date(a).getTime() !== new Date(b).getTime())
    .map((pair) => {
      const [start = '', stop = ''] = [...pair].sort((a, b) => new Date(a).getTime() - new Date(b).getTime())
      return { kind: 'start-stop' as const, start, stop }
    }),
)

const observationArb: fc.Arbitrary<ObservationExpression> = fc.letrec<{ tree: ObservationExpression }>(
  (tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      objectTypeArb.chain((objectType) =>
        comparisonExpressionArb(objectType).map((comparison) => ({
          kind: 'observation' as const,
          comparison,
        })),
      ),
      fc.record({
        kind: fc.constant('observation-operation' as const),
        operator: fc.constantFrom('AND' as const, 'OR' as const, 'FOLLOWEDBY' as const),
        operands: fc.array(tie('tree'), { minLength: 2, maxLength: 3 }),
      }),
      fc.record({
        kind: fc.constant('qualified' as const),
        expression: tie('tree'),
        qualifier: qualifierArb,
      }),
    ),
  }),
).tree

const TOKENS = [
  '[',
  ']',
  '(',
  ')',
  'file:name',
  'ipv4-addr:value',
  "x:'y'",
  '.a',
  '[*]',
  '[0]',
  '=',
  '!=',
  '<=',
  '>',
  'IN',
  'NOT',
  'LIKE',
  'MATCHES',
  'ISSUBSET',
  'EXISTS',
  'AND',
  'OR',
  'and',
  'FOLLOWEDBY',
  'WITHIN',
  'SECONDS',
  'REPEATS',
  'TIMES',
  'START',
  'STOP',
  "'str'",
  "'it\\'s'",
  "'",
  '\\',
  '1',
  '-2',
  '3.5',
  '.',
  ',',
  'true',
  "t'2020-01-01T00:00:00Z'",
  "t'2021-01-01T00:00:00Z'",
  "h'ff'",
  "b'YQ=='",
  "'10.0.0.0/8'",
  '/*',
  '*/',
  '//',
  '\n',
]

describe('robustness', () => {
  it('never throws on random strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme-ascii' })),
        (text) => {
          const result: PatternResult = parsePattern(text)
          return typeof result.ok === 'boolean'
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('never throws on token soup, and what parses round-trips through formatPattern', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 30 }), fc.boolean(), (tokens, spaced) => {
        const result = parsePattern(tokens.join(spaced ? ' ' : ''))
        if (!result.ok) {
          return result.error.offset >= 0 && result.error.message.includes(`at offset ${result.error.offset}`)
        }
        const text = formatPattern(result.ast)
        expect(parsePattern(text)).toEqual(result)
        return true
      }),
      { numRuns: 3000 },
    )
  })

  it('parses the text of any generated tree back to the same tree', () => {
    fc.assert(
      fc.property(observationArb, (expression) => {
        const ast: Pattern = { kind: 'pattern', expression }
        const text = formatPattern(ast)
        expect(parsePattern(text)).toEqual({ ok: true, ast })
      }),
      { numRuns: 500 },
    )
  })
})

const CORPUS = join(CORPUS_DIR, 'stix21')

function jsonFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (entry.name !== 'taxii21') {
        out.push(...jsonFiles(path))
      }
      continue
    }
    out.push(path)
  }
  return out
}

function stixPatternsIn(value: unknown): string[] {
  const objects: unknown[] = Array.isArray(value)
    ? value
    : typeof value === 'object' && value !== null && 'objects' in value && Array.isArray(value.objects)
      ? value.objects
      : [value]
  const out: string[] = []
  for (const object of objects) {
    if (typeof object !== 'object' || object === null || !('type' in object) || object.type !== 'indicator') {
      continue
    }
    if ('pattern_type' in object && object.pattern_type === 'stix' && 'pattern' in object) {
      out.push(typeof object.pattern === 'string' ? object.pattern : String(object.pattern))
    }
  }
  return out
}

describe('STIX 2.1 corpus', () => {
  it('parses every STIX pattern of every indicator', () => {
    let files = 0
    const failures: string[] = []
    const invalidReport: string[] = []
    let parsedCount = 0
    for (const file of jsonFiles(CORPUS)) {
      const name = relative(CORPUS, file)
      const inInvalid = name.startsWith(`invalid${sep}`)
      let json: unknown
      try {
        json = JSON.parse(readFileSync(file, 'utf8'))
      } catch {
        if (inInvalid) {
          invalidReport.push(`${name}: not JSON`)
        }
        continue
      }
      if (typeof json !== 'object' || json === null) {
        continue
      }
      files++
      const patterns = stixPatternsIn(json)
      for (const pattern of patterns) {
        const result = parsePattern(pattern)
        if (inInvalid) {
          invalidReport.push(`${name}: ${result.ok ? 'parses' : result.error.message}: ${pattern}`)
          continue
        }
        if (result.ok) {
          parsedCount++
        } else {
          failures.push(`${name}: ${result.error.message}: ${pattern}`)
        }
      }
      if (inInvalid && patterns.length === 0) {
        invalidReport.push(`${name}: no STIX patterns`)
      }
    }
    console.log(`corpus: ${parsedCount} STIX patterns parsed from ${files} JSON files`)
    console.log(
      `corpus invalid/: ${invalidReport.length === 0 ? 'nothing' : `\n  ${invalidReport.join('\n  ')}`}`,
    )
    expect(failures).toEqual([])
    expect(parsedCount).toBeGreaterThan(0)
  })
})

describe('speed', () => {
  it('prints patterns per second (no assertion on time)', () => {
    const patterns = [
      "[ipv4-addr:value = '198.51.100.1']",
      `[file:hashes.'SHA-256' = '${SHA256}' AND file:size > 1000]`,
      "[domain-name:value = 'www.webserver.dynssl.com' OR ipv4-addr:value = '113.10.246.30' OR ipv4-addr:value = '219.90.112.203']",
      "[url:value = 'http://bad.example/path']",
      "([email-message:subject MATCHES '(?i)invoice'] FOLLOWEDBY [process:image_ref.name = 'powershell.exe']) WITHIN 900 SECONDS",
    ]
    for (let i = 0; i < 50_000; i++) {
      parsePattern(patterns[i % patterns.length] ?? '')
    }
    const rounds = 400_000
    let ok = 0
    const started = process.hrtime.bigint()
    for (let i = 0; i < rounds; i++) {
      if (parsePattern(patterns[i % patterns.length] ?? '').ok) {
        ok++
      }
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    console.log(`parsePattern: ${Math.round(rounds / seconds).toLocaleString('en')} typical patterns/s`)
    expect(ok).toBe(rounds)
  })
})
