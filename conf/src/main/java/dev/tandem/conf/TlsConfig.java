package dev.tandem.conf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * TLS for a listener: the certificates offered, chosen by SNI from their names.
 *
 * @param certificates what every node offers, unless it has its own entry in {@code perNode}; empty only when
 *                     every node of {@code cluster.nodes} has one
 * @param perNode      per node name, the certificates that node offers instead ({@code tls.per_node}): the file
 *                     is the same on every node, each serves its own (a certificate for its region)
 */
public record TlsConfig(List<CertificateConfig> certificates, Map<String, List<CertificateConfig>> perNode) {

    public TlsConfig {
        certificates = List.copyOf(certificates);
        Map<String, List<CertificateConfig>> copy = new LinkedHashMap<>();
        perNode.forEach((node, certs) -> copy.put(node, List.copyOf(certs)));
        perNode = Collections.unmodifiableMap(copy);
    }

    /** The same certificates on every node. */
    public TlsConfig(List<CertificateConfig> certificates) {
        this(certificates, Map.of());
    }

    /** What {@code node} serves: its own entry, or else the shared certificates; with no per-node entries left. */
    public TlsConfig forNode(String node) {
        List<CertificateConfig> own = perNode.get(node);
        return perNode.isEmpty() ? this : new TlsConfig(own != null ? own : certificates);
    }

    /** Every pair named, shared ones first, then each node's in file order (for checks of the files). */
    public List<CertificateConfig> allCertificates() {
        List<CertificateConfig> all = new ArrayList<>(certificates);
        perNode.values().forEach(all::addAll);
        return List.copyOf(all);
    }
}
