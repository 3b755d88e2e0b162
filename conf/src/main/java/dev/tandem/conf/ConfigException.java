package dev.tandem.conf;

import java.util.List;
import java.util.stream.Collectors;

/** A config that does not validate, with every error found in it, in file order. */
public final class ConfigException extends Exception {

    private final List<ConfigError> errors;

    public ConfigException(List<ConfigError> errors) {
        super(errors.stream().sorted().map(ConfigError::toString).collect(Collectors.joining("\n")));
        this.errors = errors.stream().sorted().toList();
    }

    public List<ConfigError> errors() {
        return errors;
    }
}
