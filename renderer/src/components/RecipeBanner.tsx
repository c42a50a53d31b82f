import { useStudioState } from './StoreContext.ts';

/** Offered when an opened image carries a recipe (a studio export or an A1111 PNG). */
export function RecipeBanner() {
  const { offer, restore, dismiss } = useStudioState((s) => ({ offer: s.recipeOffer, restore: s.restoreOffer, dismiss: s.dismissOffer }));
  if (!offer) return null;
  return (
    <div className="banner" role="status" data-testid="recipe-banner">
      {offer.parametersOnly ? (
        <span>
          <strong>{offer.name}</strong> carries generation parameters: <code>{offer.parametersOnly.split('\n')[0].slice(0, 80)}</code>
        </span>
      ) : (
        <span>
          <strong>{offer.name}</strong> was made by Latent Studio. Restore its prompt and settings?
        </span>
      )}
      {!offer.parametersOnly && (
        <button className="primary small" onClick={restore} data-testid="recipe-restore">
          Restore recipe
        </button>
      )}
      <button className="small" onClick={dismiss}>
        {offer.parametersOnly ? 'OK' : 'Keep current settings'}
      </button>
    </div>
  );
}
