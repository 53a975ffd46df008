// Conventional service names for well-known ports (IANA registrations and common practice),
// used only as a guess when a port is open but was not identified.

const NAMES: Record<number, string> = {
  20: 'ftp-data', 21: 'ftp', 22: 'ssh', 23: 'telnet', 25: 'smtp', 53: 'domain', 69: 'tftp', 80: 'http',
  88: 'kerberos', 110: 'pop3', 111: 'rpcbind', 119: 'nntp', 123: 'ntp', 135: 'msrpc', 139: 'netbios-ssn',
  143: 'imap', 161: 'snmp', 179: 'bgp', 389: 'ldap', 443: 'https', 445: 'microsoft-ds', 465: 'smtps',
  514: 'shell', 515: 'printer', 554: 'rtsp', 587: 'submission', 631: 'ipp', 636: 'ldaps', 873: 'rsync',
  993: 'imaps', 995: 'pop3s', 1433: 'ms-sql', 1521: 'oracle', 1883: 'mqtt', 2049: 'nfs', 2375: 'docker',
  3000: 'http-alt', 3128: 'http-proxy', 3306: 'mysql', 3389: 'ms-wbt-server', 4222: 'nats', 4369: 'epmd',
  5000: 'http-alt', 5432: 'postgresql', 5672: 'amqp', 5900: 'vnc', 5985: 'wsman', 6222: 'nats-cluster',
  6379: 'redis', 8000: 'http-alt', 8008: 'http-alt', 8080: 'http-proxy', 8081: 'http-alt', 8222: 'nats-monitor',
  8443: 'https-alt', 8883: 'secure-mqtt', 8888: 'http-alt', 9001: 'tor-orport', 9030: 'tor-dirport',
  9042: 'cassandra', 9050: 'tor-socks', 9051: 'tor-control', 9092: 'kafka', 9200: 'elasticsearch',
  9418: 'git', 11211: 'memcached', 15672: 'rabbitmq-mgmt', 25565: 'minecraft', 25672: 'rabbitmq-dist',
  27017: 'mongodb',
};

export function portName(port: number): string | null {
  return NAMES[port] ?? null;
}
