"""A model with random weights built from its config straight on a device, as the measuring scripts
need it (nothing downloaded): Scripts/calibrate.py and Scripts/measure_host_cost.py.

The weights are drawn with seed 0 in `dtype` (set as the default dtype while the model is built, so
nothing is built in fp32 first); the model is put in eval mode and given pad token 0 for `generate`.
"""


def random_model(torch, cls, cfg, dtype, device):
    torch.manual_seed(0)
    old = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = cls(cfg)
    finally:
        torch.set_default_dtype(old)
    model.eval()
    if getattr(model, "generation_config", None) is not None:
        model.generation_config.pad_token_id = 0
    return model
