/** IPv4 subnet arithmetic for the VPC layout, as Terraform's `cidrsubnet` does it. */

function toNumber(address: string): number {
  return address.split(".").reduce((value, octet) => value * 256 + Number(octet), 0);
}

function toAddress(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** The `index`-th subnet of `cidr` with `newBits` more prefix bits: subnetCidr("10.0.0.0/16", 3, 1) is 10.0.32.0/19. */
export function subnetCidr(cidr: string, newBits: number, index: number): string {
  const [address, prefixText] = cidr.split("/");
  const prefix = Number(prefixText) + newBits;
  if (prefix > 32 || index < 0 || index >= 2 ** newBits) {
    throw new RangeError(`subnet ${index} of ${cidr} with ${newBits} more bits does not exist`);
  }
  const size = 2 ** (32 - prefix);
  const base = toNumber(address) - (toNumber(address) % (size * 2 ** newBits));
  return `${toAddress(base + index * size)}/${prefix}`;
}
