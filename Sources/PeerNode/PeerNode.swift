import Hummingbird
import Logging
import ServiceLifecycle
