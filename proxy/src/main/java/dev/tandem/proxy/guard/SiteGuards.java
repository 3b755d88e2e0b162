package dev.tandem.proxy.guard;

import dev.tandem.conf.AccessRules;
import dev.tandem.conf.ErrorPages;
import dev.tandem.conf.Maintenance;
import dev.tandem.conf.SiteConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/**
 * The parts of site guarding that outlive a config: the run-time maintenance switches and the htpasswd files
 * with their bcrypt thread. Owned by the proxy server; each config compiles its sites' {@link SiteGuard}s
 * from it.
 */
public final class SiteGuards implements AutoCloseable {

    /** How often htpasswd files are looked at for an edit. */
    public static final Duration HTPASSWD_CHECK = Duration.ofSeconds(1);

    private final MaintenanceSwitches switches = new MaintenanceSwitches();
    private final Htpasswds htpasswds;

    public SiteGuards() {
        this(HTPASSWD_CHECK);
    }

    public SiteGuards(Duration htpasswdCheck) {
        this.htpasswds = new Htpasswds(htpasswdCheck);
    }

    public MaintenanceSwitches maintenance() {
        return switches;
    }

    /** The guard of site {@code config}: reads its pages and htpasswd file, so it blocks (never on an event loop). */
    public SiteGuard compile(SiteConfig config, MeterRegistry meters) {
        return compile(config.name(), config.errorPages(), config.maintenance(), config.access(), meters);
    }

    /**
     * A guard from the three rules as a site's or a route's block binds them. Blocks (pages, htpasswd).
     *
     * @param name what maintenance is switched by at run time, and the {@code site} label of the metrics
     */
    public SiteGuard compile(String name, ErrorPages errorPages, Maintenance maintenance, AccessRules access,
                             MeterRegistry meters) {
        GuardMetrics metrics = new GuardMetrics(meters, name);
        BasicAuthenticator auth = access.basicAuth().map(b -> new BasicAuthenticator(b, htpasswds, metrics)).orElse(null);
        return new SiteGuard(name, maintenance, access, switches, auth, SitePages.load(name, errorPages, maintenance),
                metrics);
    }

    /** Forgets the htpasswd files the config in force no longer names. */
    public void retainOnly(Set<Path> htpasswdFiles) {
        htpasswds.retainOnly(htpasswdFiles);
    }

    @Override
    public void close() {
        htpasswds.close();
    }
}
