/** Internal: not part of the public API, may change without notice. */
@NullMarked
package io.ktrdr.telemetry.internal;

import org.jspecify.annotations.NullMarked;
