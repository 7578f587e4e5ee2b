/* Windows-compatible <sspi.h>: everything is in opensspi.h. */
#include "opensspi.h"
