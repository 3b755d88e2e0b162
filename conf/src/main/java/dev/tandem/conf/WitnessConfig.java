package dev.tandem.conf;

/**
 * A host a node must reach to hold a VIP: written {@code 10.0.0.1} or {@code icmp:10.0.0.1} for an ICMP echo,
 * {@code tcp:10.0.0.1:22} for a TCP connect.
 *
 * @param port the TCP port; 0 for ICMP
 */
public record WitnessConfig(Probe probe, String host, int port) {

    /** How the witness is checked. */
    public enum Probe {
        ICMP, TCP
    }

    public WitnessConfig {
        if (probe == Probe.TCP ? port < 1 || port > 65535 : port != 0) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1-65535 for tcp, 0 for icmp)");
        }
    }

    public static WitnessConfig icmp(String host) {
        return new WitnessConfig(Probe.ICMP, host, 0);
    }

    public static WitnessConfig tcp(String host, int port) {
        return new WitnessConfig(Probe.TCP, host, port);
    }

    /** As written in the config, e.g. {@code 10.0.0.1} or {@code tcp:[2001:db8::1]:22}. */
    @Override
    public String toString() {
        if (probe == Probe.ICMP) {
            return host;
        }
        return "tcp:" + new HostPort(host, port);
    }
}
