// CPE 2.2 names for products the structured parsers report (regex matchers carry their own).

const VENDOR_PRODUCT: Record<string, string> = {
  mariadb: 'mariadb:mariadb',
  mysql: 'oracle:mysql',
  postgresql: 'postgresql:postgresql',
  rabbitmq: 'vmware:rabbitmq',
  mosquitto: 'eclipse:mosquitto',
  'nats server': 'nats:nats-server',
  mongodb: 'mongodb:mongodb',
  nginx: 'f5:nginx',
  apache: 'apache:http_server',
  'microsoft-iis': 'microsoft:internet_information_services',
  lighttpd: 'lighttpd:lighttpd',
  caddy: 'caddyserver:caddy',
  'erlang port mapper daemon': 'erlang:erlang/otp',
  minecraft: 'mojang:minecraft',
};

export function cpeFor(product: string | null, rawVersion: string | null, template?: string): string | null {
  // Only exact versions go into a CPE ("9.6 or later" is a range, not a version).
  const version = rawVersion && /^\d[\w.+~-]*$/.test(rawVersion) ? rawVersion : null;
  if (template && !template.includes('{vendor}')) {
    if (template.includes('{version}')) return version ? template.replace('{version}', cpeEscape(version)) : template.replace(/:\{version\}$/, '');
    return template;
  }
  if (!product) return null;
  const vp = VENDOR_PRODUCT[product.toLowerCase()];
  if (!vp) return null;
  return `cpe:/a:${vp}${version ? ':' + cpeEscape(version) : ''}`;
}

function cpeEscape(v: string): string {
  return v.toLowerCase().replace(/[^a-z0-9._~-]/g, '_');
}
